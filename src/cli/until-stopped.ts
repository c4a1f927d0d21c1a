// A long-running command (dcmgr, hva, wakame up) runs until Ctrl-C (SIGINT),
// systemd's SIGTERM or a hang-up (SIGHUP). The handlers are in place from
// the moment the command's modules load, so a signal that comes while it is
// still starting (building the test guest, probing KVM) is kept rather than
// killing it half way: once started it stops at once, and what it made is
// taken down as at any stop. A second signal changes nothing.

const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

const stopped = new Promise<string>((resolve) => {
  for (const s of signals) process.on(s, () => resolve(s));
});

/** Resolves with the first stop signal, at once if one came already. */
export function untilStopped(): Promise<string> {
  return stopped;
}
