// A host's extra hosts entries for its instances (the original's hva.conf
// `metadata { path 'extra-hosts/NAME', 'ADDRESS' }`): names the guests put in
// their hosts file at every boot, from meta-data/extra-hosts/ on their
// metadata drive (a KMS server, an update server, a log collector on the
// operator's network). Pure.
import { type Field, FieldError } from "./fields.js";
import { ipv4Problem } from "./ipv4.js";

const dnsName =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** NAME=ADDRESS[,NAME=ADDRESS...]: each name once, an IPv4 address each. */
export const extraHostsField: Field<Record<string, string>> = {
  type: "name=ipv4,...",
  allowed: "NAME=IPV4[,NAME=IPV4...], e.g. kms.example.com=192.168.1.10",
  parse(raw) {
    const text = typeof raw === "string" ? raw : "";
    const entries = text
      .split(",")
      .map((e) => e.trim())
      .filter(Boolean);
    if (entries.length === 0)
      throw new FieldError("give at least one NAME=IPV4, e.g. kms.example.com=192.168.1.10");
    const hosts: Record<string, string> = {};
    for (const entry of entries) {
      const [name = "", address = "", ...rest] = entry.split("=");
      if (rest.length || !entry.includes("=") || !dnsName.test(name))
        throw new FieldError(
          `'${entry.slice(0, 80)}': write NAME=IPV4, NAME a host name such as kms.example.com`,
        );
      const problem = ipv4Problem(address);
      if (problem) throw new FieldError(`'${entry.slice(0, 80)}': '${address}' ${problem}`);
      if (name.toLowerCase() in hosts) throw new FieldError(`'${name}' is named twice`);
      hosts[name.toLowerCase()] = address;
    }
    return hosts;
  },
};
