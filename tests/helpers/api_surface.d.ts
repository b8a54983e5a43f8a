/** Types of scripts/api_surface.mjs for the test that imports it. */
export declare const SNAPSHOT: string;
export declare function apiSurface(): Record<string, Record<string, string>>;
