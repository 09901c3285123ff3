<?php
/**
 * The bulk sync without WP-CLI: `php bin/sync-all.php /path/to/wordpress`.
 *
 * Posts every user to authbridge's sync-user; prints a line for each user not synced, then
 * "synced N, conflicts N, failed N". Exits with 1 when any user was not synced.
 *
 * @package authbridge
 */

require __DIR__ . '/load-wordpress.php';

if ( ! authbridge_sync_configured() ) {
	fwrite( STDERR, "error: define AUTHBRIDGE_URL and AUTHBRIDGE_API_TOKEN in wp-config.php first\n" );
	exit( 2 );
}
$authbridge_counts = authbridge_sync_all(
	function ( $line ) {
		echo $line, "\n"; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a terminal.
	}
);
echo authbridge_sync_all_summary( $authbridge_counts ), "\n"; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped
exit( $authbridge_counts['conflicts'] + $authbridge_counts['failed'] > 0 ? 1 : 0 );
