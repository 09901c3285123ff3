<?php
/**
 * Plugin Name:       authbridge
 * Description:       Lets authbridge check this site's credentials (POST /api/v1/remp/auth), posts every new and changed user to authbridge's sync-user, and syncs or exports all users for a migration.
 * Version:           1.0.0
 * Requires at least: 5.3
 * Requires PHP:      7.4
 * License:           MIT
 *
 * Configuration, in wp-config.php (see readme.txt):
 *
 *     define( 'AUTHBRIDGE_AUTH_TOKEN', '...' ); // authbridge sends it to the credential check
 *     define( 'AUTHBRIDGE_URL', 'https://auth.example.org' ); // where users are posted
 *     define( 'AUTHBRIDGE_API_TOKEN', '...' ); // an authbridge API token allowed to call sync-user
 *
 * @package authbridge
 */

defined( 'ABSPATH' ) || exit;

define( 'AUTHBRIDGE_PLUGIN_FILE', __FILE__ );
define( 'AUTHBRIDGE_PLUGIN_VERSION', '1.0.0' );

require_once __DIR__ . '/includes/common.php';
require_once __DIR__ . '/includes/credential-check.php';
require_once __DIR__ . '/includes/sync.php';
require_once __DIR__ . '/includes/retry.php';
require_once __DIR__ . '/includes/bulk.php';

if ( defined( 'WP_CLI' ) && WP_CLI ) {
	require_once __DIR__ . '/includes/cli.php';
}

// A deactivated plugin leaves no retries behind.
register_deactivation_hook( __FILE__, 'authbridge_deactivate' );

/**
 * Removes the plugin's queued retries and their WP-Cron event.
 */
function authbridge_deactivate() {
	wp_unschedule_hook( AUTHBRIDGE_RETRY_HOOK );
	delete_metadata( 'user', 0, AUTHBRIDGE_RETRY_AT_META, '', true );
	delete_metadata( 'user', 0, AUTHBRIDGE_FAILURES_META, '', true );
}
