// Passwords decrypted in this page, by instance, so the console can type
// one: held in memory only, gone with the tab or when the user forgets it.
const decrypted = new Map<string, string>();

export const passwords = {
  get: (id: string) => decrypted.get(id),
  set: (id: string, password: string) => decrypted.set(id, password),
  forget: (id: string) => decrypted.delete(id),
};
