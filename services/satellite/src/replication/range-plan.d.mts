// Types of the plain-JS module for TypeScript importers (tests).
export declare const MIN_CHUNK_BYTES: number;
export declare const MAX_CHUNK_BYTES: number;
export declare const MIN_PIECE_BYTES: number;
export interface PieceInput {
  offset: number;
  size: number;
  paidUntil: number;
  rate: number;
  bytesBeforeClose: number;
}
export interface Piece {
  end: number | undefined;
  reserve: number;
}
export declare function chunkBytes(rate: number): number;
export declare function planPiece(input: PieceInput): Piece | "wait";
