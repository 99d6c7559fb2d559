// JSON Merge Patch (RFC 7386). The original re-marshalled the patch through Go structs with
// `omitempty` first, so `false` and `0` vanished and a patch could never switch a flag off; this
// applies the patch as JSON, so `{"app_config":{"use_unsecure":false}}` does what it says.
// A patch comes from a client and is applied recursively: one nested deeper than MAX_JSON_DEPTH
// is refused before anything recurses over it (200,000 levels overflowed the stack, an Internal).
import { requireJsonDepth } from "@harbor-satellite/rpc";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: unknown): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * RFC 7386 §2 MergePatch(Target, Patch); neither argument is modified. InvalidArgument when the
 * patch nests deeper than MAX_JSON_DEPTH (arrays count too: they end up in the stored config).
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  requireJsonDepth("merge_patch_json", patch);
  return merge(target, patch);
}

function merge(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = merge(result[key], value);
  }
  return result;
}
