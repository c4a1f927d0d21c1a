// How the hosts of a bridged network share its segment, as an operator writes
// it (`vdc-manage network add --uplink vlan:100`) and as the store keeps it:
// the host's uplink device itself, a VLAN on it, or a VXLAN over it. Each
// host names its own uplink device (`hva --uplink-device eth0`).
import { type Field, FieldError } from "./fields.js";

export type Uplink = { kind: "interface" } | { kind: "vlan"; id: number } | { kind: "vxlan"; vni: number };

const words = "none, interface, vlan:ID (1-4094) or vxlan:VNI (1-16777215)";

/** The stored text (null: none) as an Uplink; anything else is refused with what is allowed. */
export function parseUplink(text: string | null): Uplink | null {
  if (text === null || text === "none") return null;
  if (text === "interface") return { kind: "interface" };
  const m = /^(vlan|vxlan):(\d{1,8})$/.exec(text);
  const n = Number(m?.[2]);
  if (m?.[1] === "vlan" && n >= 1 && n <= 4094) return { kind: "vlan", id: n };
  if (m?.[1] === "vxlan" && n >= 1 && n <= 16777215) return { kind: "vxlan", vni: n };
  throw new FieldError(`'${text}' is not an uplink: use ${words}`);
}

export function uplinkText(u: Uplink | null): string | null {
  if (u === null) return null;
  return u.kind === "interface" ? "interface" : u.kind === "vlan" ? `vlan:${u.id}` : `vxlan:${u.vni}`;
}

/** Checked, and kept as the store's text: "none" becomes null. */
export const uplinkField: Field<string | null> = {
  type: "text",
  allowed: words,
  parse(raw) {
    if (typeof raw !== "string") throw new FieldError(`needs a value: ${words}`);
    return uplinkText(parseUplink(raw));
  },
};
