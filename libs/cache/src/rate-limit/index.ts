// Public exports of rate-limit/ (re-exported by the library's index.ts).
export {};
