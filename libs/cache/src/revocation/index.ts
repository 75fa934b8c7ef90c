// Public exports of revocation/ (re-exported by the library's index.ts).
export {};
