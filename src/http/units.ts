/** How the page writes times: milliseconds to two places ("–" for none), clock times in UTC. */
export const ms = (seconds: number | null | undefined) => (seconds === null || seconds === undefined ? '–' : (seconds * 1000).toFixed(2));
export const utc = (seconds: number) => `${new Date(seconds * 1000).toISOString().slice(11, 19)} UTC`;
