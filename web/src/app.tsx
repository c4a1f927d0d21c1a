// The page's frame: sign-in when the API wants credentials, the navigation,
// the live feed's status, and the page the address names.
import { useEffect, useState } from "preact/hooks";
import { api, signInNeeded } from "./api/client.js";
import { startLive } from "./api/live.js";
import { loadSession, type Session, saveSession } from "./api/session.js";
import type { Instance } from "./api/types.js";
import { HostsPage } from "./pages/hosts.js";
import { ImagesPage } from "./pages/images.js";
import { InstancePage } from "./pages/instance.js";
import { InstancesPage } from "./pages/instances.js";
import { SecurityGroupsPage } from "./pages/security-groups.js";
import { SignIn } from "./pages/sign-in.js";
import { SshKeysPage } from "./pages/ssh-keys.js";
import { linkTo, type Route, useRoute } from "./router.js";
import { instances } from "./state/instances.js";

const nav: { route: Route; label: string }[] = [
  { route: { page: "instances" }, label: "Instances" },
  { route: { page: "images" }, label: "Images" },
  { route: { page: "ssh-keys" }, label: "SSH keys" },
  { route: { page: "security-groups" }, label: "Security groups" },
  { route: { page: "hosts" }, label: "Hosts" },
];

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession());
  const [refused, setRefused] = useState<string | null>(null);
  const [live, setLive] = useState(false);
  const route = useRoute();

  useEffect(() => {
    if (!session) return;
    let stop = () => {};
    // One call first: credentials the API refuses go back to the sign-in page instead of a silent feed.
    api("GET", "/instances?limit=1")
      .then(() => {
        stop = startLive({
          onReady: () => void instances.reload().catch(() => {}),
          onInstance: (view) => instances.put(view as Instance),
          onStatus: setLive,
        });
      })
      .catch((err) => {
        if (signInNeeded(err)) {
          saveSession(null);
          setSession(null);
          setRefused((err as Error).message);
        }
      });
    return () => {
      stop();
      instances.clear();
    };
  }, [session]);

  if (!session)
    return (
      <SignIn
        refused={refused}
        onSignIn={(s) => {
          saveSession(s);
          setRefused(null);
          setSession(s);
        }}
      />
    );
  const current = route.page === "instance" ? "instances" : route.page;
  return (
    <div class="frame">
      <nav aria-label="Pages">
        <strong class="brand">wakame-ts</strong>
        {nav.map((n) => (
          <a href={linkTo(n.route)} aria-current={n.route.page === current ? "page" : undefined}>
            {n.label}
          </a>
        ))}
        <span class="spacer" />
        <span class={live ? "live on" : "live"} role="status" title="Changes appear as they happen">
          {live ? "live" : "reconnecting…"}
        </span>
        <span class="who">{session.accountId ?? "token"}</span>
        <button
          type="button"
          class="plain"
          onClick={() => {
            saveSession(null);
            setSession(null);
          }}
        >
          Sign out
        </button>
      </nav>
      <main>
        {route.page === "instances" && <InstancesPage />}
        {route.page === "instance" && <InstancePage id={route.id} />}
        {route.page === "images" && <ImagesPage />}
        {route.page === "ssh-keys" && <SshKeysPage />}
        {route.page === "security-groups" && <SecurityGroupsPage />}
        {route.page === "hosts" && <HostsPage />}
      </main>
    </div>
  );
}
