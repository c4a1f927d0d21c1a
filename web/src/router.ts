// The pages' addresses, in the URL's fragment (#/instances/i-xxxx), so dcmgr
// serves one index.html and a reload keeps the page. Pure apart from the hook.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "instances" }
  | { page: "instance"; id: string }
  | { page: "images" }
  | { page: "ssh-keys" }
  | { page: "security-groups" }
  | { page: "hosts" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  switch (parts[0]) {
    case "instances":
      return parts[1] ? { page: "instance", id: decodeURIComponent(parts[1]) } : { page: "instances" };
    case "images":
    case "ssh-keys":
    case "security-groups":
    case "hosts":
      return { page: parts[0] };
    default:
      return { page: "instances" };
  }
}

export const linkTo = (r: Route) => (r.page === "instance" ? `#/instances/${r.id}` : `#/${r.page}`);

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}
