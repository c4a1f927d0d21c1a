// The launch dialog's decisions, the page's pure helpers: what blocks a
// launch, the request its form makes and which of its fields an API error
// names, hostnames, keys, RDP groups, the .rdp file and the SSE framing the
// live feed is read with.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SseParser } from "../../web/src/api/sse-parser.js";
import type { Image, InstanceSpec, SecurityGroup, SshKeyPair } from "../../web/src/api/types.js";
import {
  emptyLaunchForm,
  hostnameProblem,
  keyProblemForWindows,
  launchBlocker,
  launchFieldNamed,
  launchRequest,
  opensRdp,
  proposedSpec,
} from "../../web/src/launch/launch-rules.js";
import { rdpFile } from "../../web/src/password/rdp-file.js";

const image = (os_type: string, state = "available", progress: number | null = null) =>
  ({ id: "wmi-x", os_type, state, progress }) as Image;
const key = (key_type: string) => ({ id: "ssh-x", key_type }) as SshKeyPair;
const group = (rule: string) => ({ id: "sg-x", rule }) as SecurityGroup;

test("launch blocker: an available image and a spec first; a Windows image needs an RSA key; the hostname's rule", () => {
  const rsa = key("ssh-rsa");
  const cases: [string, Parameters<typeof launchBlocker>[0], RegExp | null][] = [
    [
      "no image",
      { image: undefined, spec: "kvm.small", key: rsa, hostname: "", productKey: "" },
      /choose an image/,
    ],
    [
      "an image its backup still writes",
      { image: image("windows", "creating", 40), spec: "kvm.xlarge", key: rsa, hostname: "", productKey: "" },
      /^wmi-x is still being written \(40%\): launch it once it is available$/,
    ],
    [
      "an image whose backup failed",
      { image: image("windows", "failed"), spec: "kvm.xlarge", key: rsa, hostname: "", productKey: "" },
      /^wmi-x failed: its backup was not written; choose an available image$/,
    ],
    [
      "no spec",
      { image: image("linux"), spec: "", key: undefined, hostname: "", productKey: "" },
      /choose an instance spec/,
    ],
    [
      "linux without a key",
      { image: image("linux"), spec: "kvm.small", key: undefined, hostname: "", productKey: "" },
      null,
    ],
    [
      "windows without a key",
      { image: image("windows"), spec: "kvm.xlarge", key: undefined, hostname: "", productKey: "" },
      /^Windows instances need an RSA ssh key: the initial password is encrypted with it$/,
    ],
    [
      "windows, ed25519",
      { image: image("windows"), spec: "kvm.xlarge", key: key("ssh-ed25519"), hostname: "", productKey: "" },
      /ed25519 keys cannot/,
    ],
    [
      "windows, ecdsa",
      {
        image: image("windows"),
        spec: "kvm.xlarge",
        key: key("ecdsa-sha2-nistp256"),
        hostname: "",
        productKey: "",
      },
      /ecdsa-sha2-nistp256 keys cannot/,
    ],
    [
      "windows, rsa",
      { image: image("windows"), spec: "kvm.xlarge", key: rsa, hostname: "web-01", productKey: "" },
      null,
    ],
    [
      "windows, 16 characters",
      { image: image("windows"), spec: "kvm.xlarge", key: rsa, hostname: "abcdefghijklmnop", productKey: "" },
      /hostname: Windows computer names are at most 15/,
    ],
    [
      "windows, a product key of four groups",
      {
        image: image("windows"),
        spec: "kvm.xlarge",
        key: rsa,
        hostname: "",
        productKey: "ABCDE-FGHIJ-KLMNO-PQRST",
      },
      /^product key is not a product key: write five groups of five/,
    ],
    [
      "windows, a product key",
      {
        image: image("windows"),
        spec: "kvm.xlarge",
        key: rsa,
        hostname: "",
        productKey: "abcde-fghij-klmno-pqrst-vwxy2",
      },
      null,
    ],
    [
      "linux: no Windows options, so no product key is checked",
      { image: image("linux"), spec: "kvm.small", key: undefined, hostname: "", productKey: "x" },
      null,
    ],
    [
      "linux, 16 characters",
      {
        image: image("linux"),
        spec: "kvm.small",
        key: undefined,
        hostname: "abcdefghijklmnop",
        productKey: "",
      },
      null,
    ],
  ];
  for (const [name, choice, want] of cases) {
    const got = launchBlocker(choice);
    if (want === null) assert.equal(got, null, name);
    else assert.match(got ?? "", want, name);
  }
  assert.equal(keyProblemForWindows(rsa), null);
});

test("hostnames: the API's rule in its words, and Windows' 15 characters and not digits only", () => {
  const cases: [string, boolean, RegExp | null][] = [
    ["", true, null],
    ["win-01", true, null],
    ["-bad", false, /^'-bad' is not valid: use letters, digits and inner dashes, up to 63$/],
    ["bad-", false, /inner dashes/],
    ["under_score", false, /letters, digits/],
    ["a".repeat(15), true, null],
    ["a".repeat(16), true, /at most 15 characters; this one has 16/],
    ["a".repeat(63), false, null],
    ["a".repeat(64), false, /^is 64 characters long; at most 63 are allowed$/],
    ["12345", true, /digits only/],
    ["12345", false, null],
  ];
  for (const [name, windows, want] of cases) {
    const got = hostnameProblem(name, windows);
    if (want === null) assert.equal(got, null, name);
    else assert.match(got ?? "", want, name);
  }
});

test("RDP groups and the proposed spec", () => {
  assert.equal(opensRdp(group("tcp:3389,3389,ip4:0.0.0.0")), true);
  assert.equal(opensRdp(group("tcp:22,22,ip4:0.0.0.0\ntcp:3000,4000,ip4:10.0.0.0/8")), true);
  assert.equal(opensRdp(group("tcp:22,22,ip4:0.0.0.0\nudp:3389,3389,ip4:0.0.0.0")), false);
  assert.equal(opensRdp(group("not a rule")), false);
  const specs = [
    { name: "kvm.small", memory_size: 1024 },
    { name: "kvm.xlarge", memory_size: 4096 },
    { name: "kvm.tiny", memory_size: 512 },
  ] as InstanceSpec[];
  assert.equal(proposedSpec(specs, true), "kvm.xlarge");
  assert.equal(proposedSpec(specs, false), "kvm.tiny");
  assert.equal(proposedSpec(specs.slice(0, 1), true), "kvm.small");
});

test("the form's request leaves out what is empty, so dcmgr's defaults apply; Windows options only for Windows", () => {
  assert.deepEqual(
    launchRequest({ ...emptyLaunchForm, image_id: "wmi-x", instance_spec_name: "kvm.small" }, false),
    {
      image_id: "wmi-x",
      instance_spec_name: "kvm.small",
    },
  );
  const full = {
    image_id: "wmi-x",
    instance_spec_name: "kvm.small",
    security_groups: ["sg-a", "sg-b"],
    ssh_key_id: "ssh-x",
    hostname: "web-01",
    display_name: "web",
    user_data: "a=1",
  };
  const options = {
    windows_firewall: "true",
    auto_activate: "true",
    kms_host: "kms.example.com:1688",
    product_key: "ABCDE-FGHIJ-KLMNO-PQRST-VWXY2",
    password_retries: "3",
  };
  assert.deepEqual(launchRequest({ ...full, ...options }, true), { ...full, ...options });
  // The image became a Linux one after the options were filled: dcmgr would refuse them.
  assert.deepEqual(launchRequest({ ...full, ...options }, false), full);
  // A KMS host typed, then activation unticked: it goes with activation.
  const { kms_host: _kms, auto_activate: _activate, ...rest } = options;
  assert.deepEqual(launchRequest({ ...full, ...options, auto_activate: "" }, true), { ...full, ...rest });
});

test("an API error's field marks the form's field of that name, and only the form's", () => {
  for (const field of Object.keys(emptyLaunchForm)) assert.equal(launchFieldNamed(field), field);
  // Fields the dialog does not show (the error goes below the form), and names only an object has.
  for (const field of [undefined, "", "vifs", "host_node_id", "id", "toString", "constructor", "__proto__"])
    assert.equal(launchFieldNamed(field), null, String(field));
});

test("the .rdp file names the endpoint and the user, never a password", () => {
  const f = rdpFile("192.0.2.7", 13389, "Administrator");
  assert.match(f, /^full address:s:192\.0\.2\.7:13389\r\nusername:s:Administrator\r\n/);
  assert.doesNotMatch(f, /password/i);
});

test("SSE framing: events cut anywhere between chunks, comments, ids kept, CRLF", () => {
  const stream =
    'retry: 1000\n\n: keep-alive\n\nid: 7\nevent: instance\ndata: {"a":\ndata: 1}\n\r\nevent: ready\ndata: x\n\n';
  for (let cut = 0; cut <= stream.length; cut++) {
    const p = new SseParser();
    const got = [...p.push(stream.slice(0, cut)), ...p.push(stream.slice(cut))];
    assert.deepEqual(
      got,
      [
        { event: "instance", data: '{"a":\n1}', id: "7" },
        { event: "ready", data: "x", id: "7" },
      ],
      `cut at ${cut}`,
    );
  }
});
