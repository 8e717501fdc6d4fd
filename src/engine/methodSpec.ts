/**
 * The shape of one engine method: its params and result types. A leaf: each
 * domain's protocol file declares its methods with it, and engine/protocol.ts
 * joins them, so no protocol file needs to import another.
 */
export interface MethodSpec<P, R> {
  params: P;
  result: R;
}
