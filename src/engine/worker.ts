// engine worker entry (filled in next)
export {};
