// The optional platform filter: `os/architecture[/variant]`, matched against the `platform` of an
// index's child descriptors.
import type { Platform } from "@harbor-satellite/oci";

export interface PlatformFilter {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(value: string): PlatformFilter {
  const parts = value.split("/");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new RangeError(`invalid platform ${JSON.stringify(value)}: want os/architecture[/variant]`);
  }
  const [os, architecture, variant] = parts;
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: PlatformFilter): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** True when the descriptor's platform is the filter's (the variant only counts when the filter names one). */
export function matchesPlatform(platform: Platform | undefined, filter: PlatformFilter): boolean {
  if (!platform) return false;
  if (platform.os !== filter.os || platform.architecture !== filter.architecture) return false;
  return filter.variant === undefined || platform.variant === filter.variant;
}
