// A unit's [Service] as systemd would run it, for a root where systemd is
// not init: ExecStart= as User=/Group= (with the user's other groups) and
// AmbientCapabilities=, in systemd's environment for a system user, through
// util-linux's setpriv.

export interface UnitService {
  user: string;
  group: string;
  ambientCapabilities: string[];
  execStart: string;
  killMode: string;
}

/** The [Service] settings of a unit file's text (one line each; no specifiers). */
export function unitService(unit: string): UnitService {
  const service = new Map<string, string>();
  let section = "";
  for (const line of unit.split("\n")) {
    const head = /^\[(.+)\]$/.exec(line.trim());
    if (head) section = head[1]!;
    const entry = /^(\w+)=(.*)$/.exec(line);
    if (section === "Service" && entry) service.set(entry[1]!, entry[2]!.trim());
  }
  const value = (name: string) => service.get(name);
  const execStart = value("ExecStart");
  if (!execStart) throw new Error("the unit has no ExecStart= in [Service]");
  return {
    user: value("User") ?? "root",
    group: value("Group") ?? value("User") ?? "root",
    ambientCapabilities: (value("AmbientCapabilities") ?? "").split(/\s+/).filter(Boolean),
    execStart,
    killMode: value("KillMode") ?? "control-group",
  };
}

/** The sh command that execs the service's main process as systemd would (its pid is the service's). */
export function execStartCommand(s: UnitService, home: string): string {
  const caps = s.ambientCapabilities.map((c) => `+${c.replace(/^CAP_/, "").toLowerCase()}`).join(",");
  const privileges = [`--reuid=${s.user}`, `--regid=${s.group}`, "--init-groups"];
  if (caps) privileges.push(`--inh-caps=${caps}`, `--ambient-caps=${caps}`);
  const env = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG=C.UTF-8",
    `HOME=${home}`,
    `USER=${s.user}`,
    `LOGNAME=${s.user}`,
  ];
  return `exec env -i ${env.join(" ")} setpriv ${privileges.join(" ")} -- ${s.execStart}`;
}
