/**
 * The package version.
 * @module
 */

/**
 * The version of privagg, kept equal to package.json's by a unit test.
 * @since 0.1.0
 * @public
 */
export const VERSION: string = '0.1.0';
