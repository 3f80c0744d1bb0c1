// The two base64 functions every runtime the protocol runs in has (browsers, Node 16+), which ES2022's lib does not declare.
declare function atob(data: string): string;
declare function btoa(data: string): string;
declare class TextEncoder { encode(input?: string): Uint8Array }
declare class TextDecoder { constructor(label?: string, options?: { fatal?: boolean }); decode(input?: Uint8Array): string }
