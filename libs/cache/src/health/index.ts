// Public exports of health/ (re-exported by the library's index.ts).
export {};
