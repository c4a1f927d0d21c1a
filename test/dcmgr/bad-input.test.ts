// Every bad request gets a 4xx in the error shape with a clear message; no
// 500, no stack trace, and not one row written.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { addAccount, addHostNode, type RequestOptions, startApi, type TestApi } from "../helpers/api.js";
import { tempDir } from "../helpers/paths.js";
import { backends, imageRow } from "../helpers/stores.js";

const keys = tempDir("bad-keys");
after(() => rmSync(keys, { recursive: true, force: true }));
const keyFile = (name: string, args: string[]) => {
  const file = join(keys, name);
  execFileSync("ssh-keygen", ["-q", "-N", "", "-f", file, ...args]);
  return file;
};
const rsa = readFileSync(`${keyFile("rsa", ["-t", "rsa", "-b", "2048"])}.pub`, "utf8");
const ed = readFileSync(`${keyFile("ed", ["-t", "ed25519"])}.pub`, "utf8");
const short = readFileSync(`${keyFile("short", ["-t", "rsa", "-b", "1024"])}.pub`, "utf8");
const privateKey = readFileSync(join(keys, "rsa"), "utf8");

interface Setup {
  key: string;
  /** A group no instance uses, named as a source by another group's rule. */
  referenced: string;
  edKey: string;
  group: string;
  otherGroup: string;
  pending: string;
  otherInstance: string;
  agentToken: string;
}

interface Case {
  name: string;
  method: string;
  path: (s: Setup) => string;
  opts?: (s: Setup) => RequestOptions;
  /** Calls the agent API with the host node's token (or `token`) instead of the user API. */
  agent?: { token?: string; json?: unknown };
  status: number;
  error: string;
  /** The request field the error names, for a form to show it there: only where there is one. */
  field?: string;
  message: RegExp;
}

const launch = (form: (s: Setup) => Record<string, string | string[]>) => (s: Setup) => ({
  form: { image_id: "wmi-windows2008r2", instance_spec_name: "kvm.small", ssh_key_id: s.key, ...form(s) },
});
const json = (body: unknown) => () => ({ json: body });
const raw = (type: string, body: string) => () => ({ raw: { type, body } });
const p = (path: string) => () => path;

const cases: Case[] = [
  // launching
  {
    name: "launch without image_id",
    method: "POST",
    path: p("/instances.json"),
    opts: () => ({ form: { instance_spec_name: "kvm.small" } }),
    status: 400,
    error: "UndefinedRequiredParameter",
    field: "image_id",
    message: /^image_id is required/,
  },
  {
    name: "image_id of another kind",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ image_id: "bo-x" })),
    status: 400,
    error: "InvalidParameter",
    field: "image_id",
    message: /^image_id: 'bo-x' must start with 'wmi-'/,
  },
  {
    name: "unknown image",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ image_id: "wmi-nothere" })),
    status: 404,
    error: "UnknownImage",
    field: "image_id",
    message: /image_id: wmi-nothere does not exist/,
  },
  {
    name: "another account's private image",
    method: "POST",
    path: p("/instances.json"),
    opts: (s) => ({
      account: "a-other",
      form: { image_id: "wmi-private", cpu_cores: "1", memory_size: "256", security_groups: [s.otherGroup] },
    }),
    status: 404,
    error: "UnknownImage",
    field: "image_id",
    message: /wmi-private does not exist/,
  },
  {
    name: "unknown instance spec",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ instance_spec_name: "kvm.huge" })),
    status: 404,
    error: "UnknownInstanceSpec",
    field: "instance_spec_name",
    message: /kvm.huge does not exist/,
  },
  {
    name: "neither spec nor size",
    method: "POST",
    path: p("/instances.json"),
    opts: (s) => ({ form: { image_id: "wmi-windows2008r2", ssh_key_id: s.key } }),
    status: 400,
    error: "UndefinedRequiredParameter",
    field: "instance_spec_name",
    message: /give instance_spec_name \(e.g. kvm.xlarge\), or cpu_cores and memory_size/,
  },
  {
    name: "zero cpu cores",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ cpu_cores: "0" })),
    status: 400,
    error: "InvalidParameter",
    field: "cpu_cores",
    message: /cpu_cores: '0' is too small/,
  },
  {
    name: "cpu cores in words",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ cpu_cores: "two" })),
    status: 400,
    error: "InvalidParameter",
    field: "cpu_cores",
    message: /cpu_cores: 'two' is not a positive whole number/,
  },
  {
    name: "negative memory",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ memory_size: "-1" })),
    status: 400,
    error: "InvalidParameter",
    field: "memory_size",
    message: /memory_size: '-1' is too small/,
  },
  {
    name: "unsupported hypervisor",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ hypervisor: "xen" })),
    status: 400,
    error: "InvalidParameter",
    field: "hypervisor",
    message: /hypervisor: 'xen' is not allowed: use one of kvm/,
  },
  {
    name: "unknown ssh key",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ ssh_key_id: "ssh-nothere" })),
    status: 404,
    error: "UnknownSshKeyPair",
    field: "ssh_key_id",
    message: /ssh_key_id: ssh-nothere does not exist/,
  },
  {
    name: "ssh key uuid of another kind",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ ssh_key_id: "sg-x" })),
    status: 400,
    error: "InvalidParameter",
    field: "ssh_key_id",
    message: /ssh_key_id: 'sg-x' must start with 'ssh-'/,
  },
  {
    name: "Windows without a key",
    method: "POST",
    path: p("/instances.json"),
    opts: () => ({ form: { image_id: "wmi-windows2008r2", instance_spec_name: "kvm.small" } }),
    status: 400,
    error: "InvalidParameter",
    field: "ssh_key_id",
    message: /Windows instances need an RSA ssh key: the initial password is encrypted with it/,
  },
  {
    name: "Windows with an ed25519 key",
    method: "POST",
    path: p("/instances.json"),
    opts: launch((s) => ({ ssh_key_id: s.edKey })),
    status: 400,
    error: "InvalidParameter",
    field: "ssh_key_id",
    message: /need an RSA ssh key.*is ssh-ed25519/,
  },
  {
    name: "another account's ssh key",
    method: "POST",
    path: p("/instances.json"),
    opts: (s) => ({
      account: "a-other",
      form: { image_id: "wmi-windows2008r2", instance_spec_name: "kvm.small", ssh_key_id: s.key },
    }),
    status: 404,
    error: "UnknownSshKeyPair",
    field: "ssh_key_id",
    message: /does not exist/,
  },
  {
    name: "unknown security group",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ security_groups: ["sg-nothere"] })),
    status: 404,
    error: "UnknownSecurityGroup",
    field: "security_groups",
    message: /security_groups: sg-nothere does not exist/,
  },
  {
    name: "another account's security group",
    method: "POST",
    path: p("/instances.json"),
    opts: launch((s) => ({ security_groups: [s.otherGroup] })),
    status: 404,
    error: "UnknownSecurityGroup",
    field: "security_groups",
    message: /does not exist/,
  },
  {
    name: "security group uuid of another kind",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ security_groups: ["nw-x"] })),
    status: 400,
    error: "InvalidParameter",
    field: "security_groups",
    message: /security_groups: 'nw-x' must start with 'sg-'/,
  },
  {
    name: "a list field given twice without []",
    method: "POST",
    path: p("/instances.json"),
    opts: () => ({
      raw: {
        type: "application/x-www-form-urlencoded",
        body: "image_id=wmi-windows2008r2&security_groups=sg-a&security_groups=sg-b",
      },
    }),
    status: 400,
    error: "InvalidParameter",
    field: "security_groups",
    message: /security_groups is given twice; give it once \(lists are sent as security_groups\[\]=/,
  },
  {
    name: "vifs not JSON",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ vifs: "eth0=nw-demo1" })),
    status: 400,
    error: "InvalidParameter",
    field: "vifs",
    message: /vifs: is not JSON/,
  },
  {
    name: "vifs a list",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ vifs: "[]" })),
    status: 400,
    error: "InvalidParameter",
    field: "vifs",
    message: /vifs: must be an object of interfaces/,
  },
  {
    name: "vifs with a misspelt field",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ vifs: '{"eth0":{"netwrk":"nw-demo1"}}' })),
    status: 400,
    error: "InvalidParameter",
    field: "vifs",
    message: /vifs: eth0: unknown field netwrk: use network, security_groups/,
  },
  {
    name: "vifs on an unknown network",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ vifs: '{"eth0":{"network":"nw-nothere"}}' })),
    status: 404,
    error: "UnknownNetwork",
    field: "vifs",
    message: /network nw-nothere does not exist/,
  },
  {
    name: "vifs with an unknown group",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ vifs: '{"eth0":{"network":"nw-demo1","security_groups":["sg-nothere"]}}' })),
    status: 404,
    error: "UnknownSecurityGroup",
    field: "vifs",
    message: /vifs: sg-nothere does not exist/,
  },
  {
    name: "vifs with a bad group",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ vifs: '{"eth0":{"network":"nw-demo1","security_groups":["x"]}}' })),
    status: 400,
    error: "InvalidParameter",
    field: "vifs",
    message: /vifs: eth0: 'x' must start with 'sg-'/,
  },
  {
    name: "user data over 16 KiB",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ user_data: "u".repeat(17 * 1024) })),
    status: 400,
    error: "InvalidParameter",
    field: "user_data",
    message: /user_data: is 17408 characters long; at most 16384 are allowed/,
  },
  {
    name: "a bad hostname",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ hostname: "bad_host!" })),
    status: 400,
    error: "InvalidParameter",
    field: "hostname",
    message: /hostname: 'bad_host!' is not valid/,
  },
  {
    name: "unknown host node",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ host_node_id: "hn-nothere" })),
    status: 404,
    error: "UnknownHostNode",
    field: "host_node_id",
    message: /host_node_id: hn-nothere does not exist/,
  },
  {
    name: "unknown service type",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ service_type: "lb" })),
    status: 400,
    error: "InvalidParameter",
    field: "service_type",
    message: /service_type: 'lb' is not allowed: use one of std/,
  },
  {
    name: "a flag that is not one",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ ha_enabled: "maybe" })),
    status: 400,
    error: "InvalidParameter",
    field: "ha_enabled",
    message: /ha_enabled: 'maybe' is not true or false/,
  },
  {
    name: "an unknown field",
    method: "POST",
    path: p("/instances.json"),
    opts: launch(() => ({ colour: "blue" })),
    status: 400,
    error: "InvalidParameter",
    field: "colour",
    message: /unknown field colour: the known ones are image_id, instance_spec_name/,
  },
  {
    name: "JSON: a number for a uuid",
    method: "POST",
    path: p("/instances.json"),
    opts: json({ image_id: 5, instance_spec_name: "kvm.small" }),
    status: 400,
    error: "InvalidParameter",
    field: "image_id",
    message: /image_id: must be text .*not number 5/,
  },
  {
    name: "JSON: an object for a name",
    method: "POST",
    path: p("/instances.json"),
    opts: json({ image_id: "wmi-windows2008r2", display_name: {} }),
    status: 400,
    error: "InvalidParameter",
    field: "display_name",
    message: /display_name: must be text .*not an object/,
  },
  {
    name: "JSON: a fraction of a core",
    method: "POST",
    path: p("/instances.json"),
    opts: json({ image_id: "wmi-windows2008r2", cpu_cores: 1.5, memory_size: 256 }),
    status: 400,
    error: "InvalidParameter",
    field: "cpu_cores",
    message: /cpu_cores: '1.5' is not a positive whole number/,
  },
  {
    name: "JSON that does not parse",
    method: "POST",
    path: p("/instances.json"),
    opts: raw("application/json", '{"image_id": '),
    status: 400,
    error: "InvalidParameter",
    message: /the JSON body does not parse/,
  },
  {
    name: "a JSON list as the body",
    method: "POST",
    path: p("/instances.json"),
    opts: json([1, 2]),
    status: 400,
    error: "InvalidParameter",
    message: /the request body must be an object of named fields/,
  },
  {
    name: "a body over the limit",
    method: "POST",
    path: p("/instances.json"),
    opts: raw("application/json", JSON.stringify({ user_data: "x".repeat(70 * 1024) })),
    status: 413,
    error: "PayloadTooLarge",
    message: /the request body is too large: at most 64 KiB/,
  },
  {
    name: "a body of an unknown type",
    method: "POST",
    path: p("/instances.json"),
    opts: raw("text/plain", "image_id=wmi-x"),
    status: 415,
    error: "UnsupportedMediaType",
    message: /send the body as application\/x-www-form-urlencoded or application\/json/,
  },
  // instances
  {
    name: "a malformed instance uuid",
    method: "GET",
    path: p("/instances/x.json"),
    status: 400,
    error: "InvalidParameter",
    field: "id",
    message: /id: 'x' must start with 'i-' \(an instance uuid\)/,
  },
  {
    name: "an unknown instance",
    method: "GET",
    path: p("/instances/i-nothere.json"),
    status: 404,
    error: "UnknownInstance",
    message: /i-nothere does not exist/,
  },
  {
    name: "another account's instance",
    method: "GET",
    path: (s) => `/instances/${s.otherInstance}.json`,
    status: 404,
    error: "UnknownInstance",
    message: /does not exist/,
  },
  {
    name: "terminating another account's instance",
    method: "DELETE",
    path: (s) => `/instances/${s.otherInstance}.json`,
    status: 404,
    error: "UnknownInstance",
    message: /does not exist/,
  },
  {
    name: "terminating an unknown instance",
    method: "DELETE",
    path: p("/instances/i-nothere.json"),
    status: 404,
    error: "UnknownInstance",
    message: /does not exist/,
  },
  {
    name: "poweroff of a pending instance",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/poweroff.json`,
    status: 409,
    error: "InvalidInstanceState",
    message: /is pending: poweroff needs it running or initializing/,
  },
  {
    name: "reboot of a pending instance",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/reboot.json`,
    status: 409,
    error: "InvalidInstanceState",
    message: /reboot needs it running/,
  },
  {
    name: "poweron of a pending instance",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/poweron.json`,
    status: 409,
    error: "InvalidInstanceState",
    message: /poweron needs it halted/,
  },
  {
    name: "poweroff with a bad force",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/poweroff.json`,
    opts: () => ({ form: { force: "perhaps" } }),
    status: 400,
    error: "InvalidParameter",
    field: "force",
    message: /force: 'perhaps' is not true or false/,
  },
  {
    name: "a display name too long",
    method: "PUT",
    path: (s) => `/instances/${s.pending}.json`,
    opts: () => ({ form: { display_name: "n".repeat(300) } }),
    status: 400,
    error: "InvalidParameter",
    field: "display_name",
    message: /display_name: is 300 characters long; at most 255/,
  },
  {
    name: "a display name that would clear the screen of whoever lists it",
    method: "PUT",
    path: (s) => `/instances/${s.pending}.json`,
    opts: () => ({ form: { display_name: "web\u001b[2J\u001b]0;pwned\u0007" } }),
    status: 400,
    error: "InvalidParameter",
    field: "display_name",
    message:
      /display_name: holds the control character \\x1b: give text on one line without control characters/,
  },
  {
    name: "a description with a C1 control (CSI)",
    method: "POST",
    path: p("/security_groups.json"),
    opts: () => ({ json: { rule: "tcp:22,22,ip4:0.0.0.0", description: "ok\u009b2J" } }),
    status: 400,
    error: "InvalidParameter",
    field: "description",
    message: /description: holds the control character \\x9b/,
  },
  {
    name: "a key pair's display name with a newline",
    method: "POST",
    path: p("/ssh_key_pairs.json"),
    opts: () => ({ form: { public_key: rsa, display_name: "a\nb" } }),
    status: 400,
    error: "InvalidParameter",
    field: "display_name",
    message: /display_name: holds the control character \\n/,
  },
  {
    name: "moving to another account's key",
    method: "PUT",
    path: (s) => `/instances/${s.pending}.json`,
    opts: () => ({ form: { ssh_key_id: "ssh-nothere" } }),
    status: 404,
    error: "UnknownSshKeyPair",
    message: /does not exist/,
  },
  {
    name: "a password before the first boot ends",
    method: "GET",
    path: (s) => `/instances/${s.pending}/password.json`,
    status: 404,
    error: "PasswordNotInDatabase",
    message: /\(it is pending\): the password appears once its first boot ends/,
  },
  {
    name: "listing an unknown state",
    method: "GET",
    path: p("/instances.json?state=sleeping"),
    status: 400,
    error: "InvalidParameter",
    field: "state",
    message: /state: 'sleeping' is not allowed: use one of scheduling, pending/,
  },
  {
    name: "a limit of zero",
    method: "GET",
    path: p("/instances.json?limit=0"),
    status: 400,
    error: "InvalidParameter",
    field: "limit",
    message: /limit: '0' is too small/,
  },
  {
    name: "a limit too large",
    method: "GET",
    path: p("/instances.json?limit=5000"),
    status: 400,
    error: "InvalidParameter",
    field: "limit",
    message: /limit: '5000' is too large: at most 1000/,
  },
  {
    name: "a negative start",
    method: "GET",
    path: p("/instances.json?start=-1"),
    status: 400,
    error: "InvalidParameter",
    field: "start",
    message: /start: '-1' is too small/,
  },
  {
    name: "an unknown filter",
    method: "GET",
    path: p("/instances.json?colour=blue"),
    status: 400,
    error: "InvalidParameter",
    field: "colour",
    message: /unknown field colour/,
  },
  // ssh key pairs
  {
    name: "a public key that is garbage",
    method: "POST",
    path: p("/ssh_key_pairs.json"),
    opts: () => ({ form: { public_key: "hello there" } }),
    status: 400,
    error: "InvalidSshPublicKey",
    message: /public_key: not an OpenSSH public key/,
  },
  {
    name: "a private key pasted by mistake",
    method: "POST",
    path: p("/ssh_key_pairs.json"),
    opts: () => ({ form: { public_key: privateKey } }),
    status: 400,
    error: "InvalidSshPublicKey",
    message: /this is a private key: never send it/,
  },
  {
    name: "an RSA key of 1024 bits",
    method: "POST",
    path: p("/ssh_key_pairs.json"),
    opts: () => ({ form: { public_key: short } }),
    status: 400,
    error: "InvalidSshPublicKey",
    message: /this RSA key has 1024 bits; at least 2048 are needed/,
  },
  {
    name: "a damaged public key",
    method: "POST",
    path: p("/ssh_key_pairs.json"),
    opts: () => ({ form: { public_key: rsa.slice(0, 120) } }),
    status: 400,
    error: "InvalidSshPublicKey",
    message: /damaged|cut short/,
  },
  {
    name: "a key name too long",
    method: "POST",
    path: p("/ssh_key_pairs.json"),
    opts: () => ({ form: { public_key: rsa, display_name: "k".repeat(256) } }),
    status: 400,
    error: "InvalidParameter",
    field: "display_name",
    message: /display_name: is 256 characters long/,
  },
  {
    name: "an unknown key pair",
    method: "GET",
    path: p("/ssh_key_pairs/ssh-nothere.json"),
    status: 404,
    error: "UnknownSshKeyPair",
    message: /does not exist/,
  },
  {
    name: "deleting a key by an instance uuid",
    method: "DELETE",
    path: p("/ssh_key_pairs/i-abc.json"),
    status: 400,
    error: "InvalidParameter",
    field: "id",
    message: /id: 'i-abc' must start with 'ssh-'/,
  },
  // security groups
  {
    name: "a bad rule on line 2",
    method: "POST",
    path: p("/security_groups.json"),
    opts: () => ({ form: { rule: "tcp:22,22,ip4:0.0.0.0\ntcp:22-23,ip4:0.0.0.0" } }),
    status: 400,
    error: "InvalidSecurityGroupRule",
    message: /rule line 2 'tcp:22-23,ip4:0.0.0.0': write PROTO:FROM,TO,SOURCE/,
  },
  {
    name: "a port out of range",
    method: "POST",
    path: p("/security_groups.json"),
    opts: () => ({ form: { rule: "tcp:3389,70000,ip4:0.0.0.0" } }),
    status: 400,
    error: "InvalidSecurityGroupRule",
    message: /rule line 1 .*ports are 1 to 65535, not 70000/,
  },
  {
    name: "a rule naming an unknown group",
    method: "POST",
    path: p("/security_groups.json"),
    opts: () => ({ form: { rule: "tcp:80,80,sg-nothere" } }),
    status: 400,
    error: "InvalidSecurityGroupRule",
    message: /rule line 1: unknown security group sg-nothere/,
  },
  {
    name: "a rule naming another account's group",
    method: "POST",
    path: p("/security_groups.json"),
    opts: (s) => ({ form: { rule: `tcp:80,80,${s.otherGroup}` } }),
    status: 400,
    error: "InvalidSecurityGroupRule",
    message: /unknown security group/,
  },
  {
    name: "replacing rules with a bad one",
    method: "PUT",
    path: (s) => `/security_groups/${s.group}.json`,
    opts: () => ({ form: { rule: "udp:1,2,ip4:10.0.0.0/40" } }),
    status: 400,
    error: "InvalidSecurityGroupRule",
    message: /prefix \/40 is above 32/,
  },
  {
    name: "deleting a group in use",
    method: "DELETE",
    path: (s) => `/security_groups/${s.group}.json`,
    status: 409,
    error: "ExistsRegisteredInstance",
    message:
      /is still in use: instance i-[a-z0-9]{8} is in it: terminate the instance or change its groups first/,
  },
  {
    name: "rules over 16 KiB",
    method: "POST",
    path: p("/security_groups.json"),
    opts: () => ({ form: { rule: "#".repeat(17000) } }),
    status: 400,
    error: "InvalidParameter",
    field: "rule",
    message: /rule: is 17000 characters long/,
  },
  {
    name: "deleting a group another group's rule names",
    method: "DELETE",
    path: (s) => `/security_groups/${s.referenced}.json`,
    status: 409,
    error: "ExistsRegisteredInstance",
    message: /is still in use: a rule of sg-[a-z0-9]{8} names it as a source: change that rule first/,
  },
  // who calls
  {
    name: "no account header",
    method: "GET",
    path: p("/instances.json"),
    opts: () => ({ account: null }),
    status: 400,
    error: "InvalidCredentialHeaders",
    message: /send the header X-VDC-Account-ID: a-xxxxxxxx/,
  },
  {
    name: "an account header that is no uuid",
    method: "GET",
    path: p("/instances.json"),
    opts: () => ({ account: "shpoolxx" }),
    status: 400,
    error: "InvalidCredentialHeaders",
    message: /X-VDC-Account-ID 'shpoolxx' is not an account uuid/,
  },
  {
    name: "an unknown account",
    method: "GET",
    path: p("/instances.json"),
    opts: () => ({ account: "a-nobody" }),
    status: 400,
    error: "InvalidRequestCredentials",
    message: /unknown account a-nobody/,
  },
  // other resources
  {
    name: "an unknown image",
    method: "GET",
    path: p("/images/wmi-nothere.json"),
    status: 404,
    error: "UnknownImage",
    message: /does not exist/,
  },
  {
    name: "another account's private image",
    method: "GET",
    path: p("/images/wmi-private.json"),
    opts: () => ({ account: "a-other" }),
    status: 404,
    error: "UnknownImage",
    message: /does not exist/,
  },
  {
    name: "an unknown os type filter",
    method: "GET",
    path: p("/images.json?os_type=beos"),
    status: 400,
    error: "InvalidParameter",
    field: "os_type",
    message: /os_type: 'beos' is not allowed: use one of linux, windows/,
  },
  {
    name: "an unknown backup object",
    method: "GET",
    path: p("/backup_objects/bo-nothere.json"),
    status: 404,
    error: "UnknownBackupObject",
    message: /does not exist/,
  },
  {
    name: "an unknown host node",
    method: "GET",
    path: p("/host_nodes/hn-nothere.json"),
    status: 404,
    error: "UnknownHostNode",
    message: /does not exist/,
  },
  {
    name: "an unknown instance spec",
    method: "GET",
    path: p("/instance_specs/kvm.nothere.json"),
    status: 404,
    error: "UnknownInstanceSpec",
    message: /does not exist/,
  },
  {
    name: "an unknown API call",
    method: "GET",
    path: p("/volcanoes.json"),
    status: 404,
    error: "UnknownResource",
    message: /no such API call: GET \/api\/12.03\/volcanoes/,
  },
  // the agent API
  {
    name: "agent: no token",
    method: "GET",
    path: p("/instances"),
    agent: { token: "" },
    status: 400,
    error: "InvalidRequestCredentials",
    message: /agents authenticate with their host node's token/,
  },
  {
    name: "agent: an account token",
    method: "GET",
    path: p("/instances"),
    agent: { token: "account" },
    status: 400,
    error: "InvalidRequestCredentials",
    message: /host node's token/,
  },
  {
    name: "agent: a state that does not exist",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/state`,
    agent: { json: { revision: 0, state: "dreaming" } },
    status: 400,
    error: "InvalidParameter",
    field: "state",
    message: /state: 'dreaming' is not allowed/,
  },
  {
    name: "agent: a password that is not base64",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/password`,
    agent: { json: { revision: 0, encrypted_password: "!!!" } },
    status: 400,
    error: "InvalidParameter",
    field: "encrypted_password",
    message: /encrypted_password: '!!!' is not valid: use base64 text/,
  },
  {
    name: "agent: bad port forwards",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/state`,
    agent: { json: { revision: 0, state: "running", port_forwards: [[{ protocol: "sctp" }]] } },
    status: 400,
    error: "InvalidParameter",
    field: "port_forwards",
    message: /port_forwards: each forward needs protocol tcp\|udp/,
  },
  {
    name: "agent: a report without the revision it was made from",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/state`,
    agent: { json: { state: "running" } },
    status: 400,
    error: "UndefinedRequiredParameter",
    field: "revision",
    message: /revision/,
  },
  {
    name: "agent: a report from an outdated revision",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/state`,
    agent: { json: { revision: 99, state: "running" } },
    status: 409,
    error: "OutdatedInstanceRevision",
    message: /is at revision \d+, not 99: it changed since the agent read it; read GET \/instances again/,
  },
  {
    name: "agent: a password from an outdated revision",
    method: "PUT",
    path: (s) => `/instances/${s.pending}/password`,
    agent: { json: { revision: 99, encrypted_password: "AAAA" } },
    status: 409,
    error: "OutdatedInstanceRevision",
    message: /not 99/,
  },
  {
    name: "agent: an instance of another host",
    method: "PUT",
    path: (s) => `/instances/${s.otherInstance}/state`,
    agent: { token: "other-host", json: { revision: 0, state: "running" } },
    status: 404,
    error: "UnknownInstance",
    message: /is not placed on hn-two/,
  },
];

for (const backend of backends) {
  describe(`the API refuses bad input on ${backend}`, () => {
    let api: TestApi;
    let s: Setup;
    const tokens: Record<string, string> = {};
    before(async () => {
      api = await startApi(backend);
      await addAccount(api.store, "a-other");
      await api.store.db
        .insertInto("images")
        .values(
          imageRow({ id: "wmi-private", backup_object_id: "bo-windows2008r2", display_name: "private" }),
        )
        .execute();
      await addHostNode(api.store, "hn-two", "hva.two");
      const key = (await api.req("POST", "/ssh_key_pairs.json", { form: { public_key: rsa } })).body.id;
      const edKey = (await api.req("POST", "/ssh_key_pairs.json", { form: { public_key: ed } })).body.id;
      const group = (
        await api.req("POST", "/security_groups.json", { form: { rule: "tcp:3389,3389,ip4:0.0.0.0" } })
      ).body.id;
      const otherGroup = (
        await api.req("POST", "/security_groups.json", { account: "a-other", form: { rule: "" } })
      ).body.id;
      s = {
        key,
        edKey,
        group,
        otherGroup,
        pending: "",
        referenced: "",
        otherInstance: "",
        agentToken: await api.token("host_node", "hn-demo1"),
      };
      const first = await api.req("POST", "/instances.json", launch(() => ({ security_groups: [group] }))(s));
      s.pending = first.body.id;
      const other = await api.req("POST", "/instances.json", {
        account: "a-other",
        form: { image_id: "wmi-windows2008r2", cpu_cores: "1", memory_size: "256" },
      });
      assert.equal(other.status, 400, "Windows without a key is refused for a-other too");
      await api.store.db
        .updateTable("images")
        .set({ os_type: "linux" })
        .where("id", "=", "wmi-windows2008r2")
        .execute();
      s.otherInstance = (
        await api.req("POST", "/instances.json", {
          account: "a-other",
          form: { image_id: "wmi-windows2008r2", cpu_cores: "1", memory_size: "256" },
        })
      ).body.id;
      await api.store.db
        .updateTable("images")
        .set({ os_type: "windows" })
        .where("id", "=", "wmi-windows2008r2")
        .execute();
      s.referenced = (await api.req("POST", "/security_groups.json", { form: { rule: "" } })).body.id;
      await api.req("POST", "/security_groups.json", { form: { rule: `tcp:22,22,${s.referenced}` } });
      tokens.account = await api.token("account", "a-shpoolxx");
      tokens["other-host"] = await api.token("host_node", "hn-two");
    });
    after(() => api.close());

    for (const c of cases) {
      test(`${c.status} for ${c.name}`, async () => {
        const before = await api.t.snapshot();
        const path = c.path(s);
        const r = c.agent
          ? await api.agent(
              c.agent.token === undefined ? s.agentToken : (tokens[c.agent.token] ?? c.agent.token),
              c.method,
              path,
              c.agent.json,
            )
          : await api.req(c.method, path, c.opts?.(s));
        assert.equal(r.status, c.status, r.text);
        assert.deepEqual(Object.keys(r.body), ["error", "message", "code", ...(c.field ? ["field"] : [])]);
        assert.equal(r.body.error, `Dcmgr::Endpoints::Errors::${c.error}`);
        assert.equal(r.body.field, c.field);
        assert.match(r.body.message, c.message);
        assert.doesNotMatch(r.text, /\n\s+at |node_modules|\.ts:|\.js:/);
        assert.equal(await api.t.snapshot(), before, "a row was written");
      });
    }
  });
}
