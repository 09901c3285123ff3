<?php
/**
 * WP-CLI commands: `wp authbridge sync-all` and `wp authbridge export-users`. The same work is
 * available without WP-CLI through the scripts in bin/.
 *
 * @package authbridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * Moves this site's users to authbridge.
 */
class Authbridge_CLI_Command {

	/**
	 * Posts every user to authbridge's sync-user ("migrate first, authenticate later").
	 *
	 * Prints a line for each user not synced, then a summary. Exits with 1 when any user was not
	 * synced (a conflict or a failure); running it again is safe.
	 *
	 * ## OPTIONS
	 *
	 * [--batch-size=<n>]
	 * : Users read from the database at a time.
	 * ---
	 * default: 200
	 * ---
	 *
	 * ## EXAMPLES
	 *
	 *     wp authbridge sync-all
	 *
	 * @param array $args       Unused.
	 * @param array $assoc_args The options.
	 */
	public function sync_all( $args, $assoc_args ) {
		if ( ! authbridge_sync_configured() ) {
			WP_CLI::error( 'define AUTHBRIDGE_URL and AUTHBRIDGE_API_TOKEN in wp-config.php first' );
		}
		$counts = authbridge_sync_all(
			function ( $line ) {
				WP_CLI::log( $line );
			},
			max( 1, (int) $assoc_args['batch-size'] )
		);
		WP_CLI::log( authbridge_sync_all_summary( $counts ) );
		if ( $counts['conflicts'] + $counts['failed'] > 0 ) {
			WP_CLI::halt( 1 );
		}
	}

	/**
	 * Writes every user, with its password hash, as JSON lines to standard output, for
	 * `authbridge users import FILE`.
	 *
	 * The output holds password hashes: keep it out of shared places and delete it after the
	 * import.
	 *
	 * ## EXAMPLES
	 *
	 *     wp authbridge export-users > users.jsonl
	 *
	 * @param array $args       Unused.
	 * @param array $assoc_args Unused.
	 */
	public function export_users( $args, $assoc_args ) {
		$count = authbridge_export_users( STDOUT );
		fwrite( STDERR, sprintf( "exported %d users (the file holds password hashes: keep it secret)\n", $count ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fwrite
	}
}

WP_CLI::add_command( 'authbridge', 'Authbridge_CLI_Command' );
