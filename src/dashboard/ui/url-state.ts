// Page state kept in the address (filters, the open step), so every view has a URL to share and
// the back button works. Reads `location.search` and writes it through the router.

import { useLocation, useSearch } from "wouter-preact";

export function useQuery(): [
  URLSearchParams,
  (changes: Record<string, string | null>, replace?: boolean) => void,
] {
  // useSearch subscribes this component to changes of the query string.
  useSearch();
  const [location, navigate] = useLocation();
  const params = new URLSearchParams(window.location.search);
  const update = (changes: Record<string, string | null>, replace = false) => {
    const next = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") next.delete(key);
      else next.set(key, value);
    }
    const query = next.toString();
    navigate(`${location}${query ? `?${query}` : ""}`, { replace });
  };
  return [params, update];
}

/** A path parameter as the reader typed it: the router leaves some escapes in place. */
export function param(raw: string | undefined): string {
  if (raw === undefined) return "";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
