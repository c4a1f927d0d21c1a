// What mussel and the web GUI say when a key does not open an instance's
// password: the same words in both, naming the key it was launched with.

export function wrongKeyMessage(instanceId: string, launchedWith: string | null | undefined): string {
  const hint = launchedWith ? ` (was the instance launched with ${launchedWith}?)` : "";
  return `this key does not decrypt the password of ${instanceId}${hint}`;
}
