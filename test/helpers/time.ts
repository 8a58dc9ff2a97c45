// The tests' unit of scheduled time: polls, stalls and retries are all counted in minutes.
export const MINUTE = 60_000;
