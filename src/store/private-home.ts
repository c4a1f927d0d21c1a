// WAKAME_HOME holds what tenants must not read from one another: instance
// disks, metadata drives (a user's public key, user data), serial logs,
// consoles' sockets, the database. It is its owner's only: the processes
// that write in it (dcmgr, vdc-manage, hva, wakame up, and QEMU, qemu-img
// and passt after them) make their files 0600 and their folders 0700
// (umask 077), WAKAME_HOME included when they make it; an existing one open
// to others becomes 0700 (the packages' 0750 for their service's group stays).
import { chmodSync, existsSync, statSync } from "node:fs";

export function keepPrivate(home: string): void {
  process.umask(0o077);
  if (!existsSync(home) || !(statSync(home).mode & 0o007)) return;
  try {
    chmodSync(home, 0o700);
  } catch (err) {
    // Another user's folder: its owner's to close.
    if ((err as NodeJS.ErrnoException).code !== "EPERM") throw err;
  }
}
