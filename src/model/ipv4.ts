// IPv4 arithmetic for networks and address pools. Pure.

/** Why `value` is not a dotted IPv4 address, or undefined when it is one. */
export function ipv4Problem(value: string): string | undefined {
  const parts = value.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    return "is not an IPv4 address: write four numbers 0-255 joined by dots, e.g. 10.0.2.15";
  }
  return undefined;
}

/** Whether `text` is an IPv4 CIDR, ADDRESS/PREFIX. */
export function isIpv4Cidr(text: string): boolean {
  const [address, prefix, ...rest] = text.split("/");
  return (
    rest.length === 0 && !ipv4Problem(address ?? "") && /^\d{1,2}$/.test(prefix ?? "") && Number(prefix) <= 32
  );
}

export function ipv4ToNumber(address: string): number {
  return address.split(".").reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export function prefixToNetmask(prefix: number): string {
  return numberToIpv4(prefix === 0 ? 0 : 2 ** 32 - 2 ** (32 - prefix));
}

/** The network address of `address`/`prefix` (host bits cleared). */
export function networkAddress(address: string, prefix: number): string {
  const size = 2 ** (32 - prefix);
  return numberToIpv4(Math.floor(ipv4ToNumber(address) / size) * size);
}

export function inNetwork(address: string, network: string, prefix: number): boolean {
  return networkAddress(address, prefix) === networkAddress(network, prefix);
}

/** The prefix length of a dotted netmask such as 255.255.255.0 (24). */
export function netmaskToPrefix(netmask: string): number {
  const n = ipv4ToNumber(netmask);
  let prefix = 0;
  while (prefix < 32 && Math.floor(n / 2 ** (31 - prefix)) % 2 === 1) prefix++;
  return prefix;
}
