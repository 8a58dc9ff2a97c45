export * from "./items";
export * from "./monitor";
export * from "./notifications";
