// The Windows options of a launch (the seed's "configuration options that
// can be set when starting Windows instances"): the guest's firewall,
// automatic activation (optionally against a KMS host), a product key applied
// before activation, and how often the first boot tries to set the password.
// They reach the guest only through its metadata drive; the product key is
// never shown back whole. Pure.
import { type Field, FieldError, intField } from "./fields.js";
import { passwordRules } from "./guest-protocol.js";
import { isWindows } from "./launch-rules.js";

/** As the launch's parameters name them. */
export interface WindowsOptions {
  windows_firewall: boolean;
  auto_activate: boolean;
  /** host:port of a KMS server (slmgr /skms), or null for Microsoft's activation. */
  kms_host: string | null;
  /** XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (slmgr /ipk), or null to keep the image's. */
  product_key: string | null;
  password_retries: number;
}

export const defaultWindowsOptions: WindowsOptions = {
  windows_firewall: false,
  auto_activate: false,
  kms_host: null,
  product_key: null,
  password_retries: passwordRules.defaultRetries,
};

const productKeyPattern = /^([0-9A-Z]{5}-){4}[0-9A-Z]{5}$/;

/** A product key; a wrong one is refused without being repeated (it may be a real key with a typo). */
export const productKeyField: Field<string> = {
  type: "text",
  allowed: "XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
  parse(raw) {
    if (typeof raw !== "string" || !productKeyPattern.test(raw.trim().toUpperCase()))
      throw new FieldError(
        "is not a product key: write five groups of five letters or digits joined by '-', XXXXX-XXXXX-XXXXX-XXXXX-XXXXX",
      );
    return raw.trim().toUpperCase();
  },
};

/** A KMS host: a DNS name or IPv4 address and a port, as slmgr /skms takes it. */
export const kmsHostField: Field<string> = {
  type: "text",
  allowed: "HOST:PORT, e.g. kms.example.com:1688",
  parse(raw) {
    const value = typeof raw === "string" ? raw.trim() : "";
    const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*):(\d{1,5})$/.exec(
      value,
    );
    const port = Number(m?.[2]);
    if (!m || value.length > 255 || !(port >= 1 && port <= 65535))
      throw new FieldError(
        `'${value.slice(0, 64)}' is not a KMS host: write HOST:PORT, e.g. kms.example.com:1688`,
      );
    return value;
  },
};

export const passwordRetriesField = intField({ min: 1, max: 100 });

/**
 * The options a launch asked for, over the operator's defaults; what is
 * wrong with them, or the options. A KMS host goes with activation: the
 * launch's own without it is refused, the operator's is dropped.
 */
export function windowsOptions(
  given: Partial<WindowsOptions>,
  defaults: WindowsOptions,
): { options: WindowsOptions } | { problem: string; field: keyof WindowsOptions } {
  const options = {
    ...defaults,
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
  } as WindowsOptions;
  if (options.auto_activate) return { options };
  if (given.kms_host)
    return {
      problem: "kms_host is where activation goes: give auto_activate=true with it",
      field: "kms_host",
    };
  return { options: { ...options, kms_host: null } };
}

/** The options a launch gives for `image`; none for an image not Windows, which takes none. */
export function launchWindowsOptions(
  given: Partial<WindowsOptions>,
  image: { id: string; os_type: string },
  defaults: WindowsOptions,
): { options: WindowsOptions | null } | { problem: string; field: keyof WindowsOptions } {
  if (isWindows(image.os_type)) return windowsOptions(given, defaults);
  const named = (Object.keys(given) as (keyof WindowsOptions)[]).find((k) => given[k] !== undefined);
  if (named)
    return {
      problem: `${named}: Windows options are for Windows images, and ${image.id} is ${image.os_type}`,
      field: named,
    };
  return { options: null };
}

/** The product key as answers show it: only its last group, as Windows itself shows it. */
export function maskedProductKey(key: string): string {
  return `*****-*****-*****-*****-${key.slice(-5)}`;
}

/** The options as an answer shows them: the product key masked. */
export function shownWindowsOptions(o: WindowsOptions): WindowsOptions {
  return { ...o, product_key: o.product_key && maskedProductKey(o.product_key) };
}
