export * from "./monitor";
export * from "./notifications";
