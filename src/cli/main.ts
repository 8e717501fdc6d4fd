// cmb entry (filled in next)
export {};
