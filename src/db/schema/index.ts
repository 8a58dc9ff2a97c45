export * from "./items";
export * from "./metrics";
export * from "./monitor";
export * from "./notifications";
export * from "./watches";
