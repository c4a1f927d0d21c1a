// What a launch must satisfy that can be told before asking dcmgr: the
// hostname's form, and Windows' need of an RSA key. Pure: dcmgr's launch
// checks with these and the web GUI's Launch Instance dialog imports them,
// so the dialog cannot let through, or hold back, what dcmgr decides otherwise.
import { type Field, textField } from "./fields.js";

/** An instance's hostname, which its guest takes as its name: a DNS label (RFC 1123). */
export const hostnameField: Field<string> = textField({
  max: 63,
  pattern: /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/,
  patternWords: "letters, digits and inner dashes, up to 63",
});

export const isWindows = (osType: string | undefined) => osType === "windows";

/** Windows' rule on keys, as both dcmgr and the dialog say it. */
export const windowsKeyRule =
  "Windows instances need an RSA ssh key: the initial password is encrypted with it";

/** Whether a key of this type can serve a Windows instance: the guest encrypts the password with RSA-OAEP. */
export const keyServesWindows = (keyType: string) => keyType === "ssh-rsa";
