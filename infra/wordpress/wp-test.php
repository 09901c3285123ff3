<?php
/**
 * What the Rust tests do to the test WordPress (tests/src/wordpress_site.rs), through WordPress's
 * own PHP functions, so its hooks fire as on a real site:
 *
 *   php wp-test.php SITE_DIR COMMAND 'JSON ARGUMENTS'
 *
 *   create-user      {"login","email","password","first_name","last_name"}  -> {"id": N}
 *                    wp_insert_user(): user_register, so the plugin posts the user
 *   update-email     {"id","email"}          wp_update_user(): profile_update
 *   set-password     {"id","password"}       wp_update_user(): profile_update
 *   pending-retry    {"id"}                  -> {"at": UNIX TIME, "failures": N, "event_at": UNIX
 *                                            TIME} or null: the retry the plugin queued for that
 *                                            user, and when its WP-Cron event is due
 *   run-cron         {"ids": [N, ...]}       -> {"ran": N}: makes those users' retries due now and
 *                                            runs the plugin's retry event for them (only them:
 *                                            other tests' retries are left alone)
 *
 * AUTHBRIDGE_URL and AUTHBRIDGE_API_TOKEN in the environment say where the plugin posts users
 * (the test site's wp-config.php reads them). The answer is one JSON value on standard output;
 * the plugin's log lines go to standard error.
 *
 * @package authbridge
 */

if ( 'cli' !== PHP_SAPI || $argc < 3 ) {
	fwrite( STDERR, "usage: php wp-test.php SITE_DIR COMMAND [JSON]\n" );
	exit( 2 );
}
$site    = $argv[1];
$command = $argv[2];
$args    = isset( $argv[3] ) ? json_decode( $argv[3], true ) : array();

$_SERVER['HTTP_HOST'] = 'localhost';
require $site . '/wp-load.php';

/**
 * Prints `$value` as JSON, or fails with the error's message.
 *
 * @param mixed $value The answer, or a WP_Error.
 */
function answer( $value ) {
	if ( is_wp_error( $value ) ) {
		fwrite( STDERR, $value->get_error_code() . ': ' . $value->get_error_message() . "\n" );
		exit( 1 );
	}
	echo wp_json_encode( $value ), "\n";
}

switch ( $command ) {
	case 'create-user':
		$id = wp_insert_user(
			array(
				'user_login' => $args['login'],
				'user_email' => $args['email'],
				'user_pass'  => $args['password'],
				'first_name' => $args['first_name'],
				'last_name'  => $args['last_name'],
				'role'       => 'subscriber',
			)
		);
		answer( is_wp_error( $id ) ? $id : array( 'id' => $id ) );
		break;

	case 'update-email':
		$id = wp_update_user(
			array(
				'ID'         => $args['id'],
				'user_email' => $args['email'],
			)
		);
		answer( is_wp_error( $id ) ? $id : array() );
		break;

	case 'set-password':
		$id = wp_update_user(
			array(
				'ID'        => $args['id'],
				'user_pass' => $args['password'],
			)
		);
		answer( is_wp_error( $id ) ? $id : array() );
		break;

	case 'pending-retry':
		$at = (int) get_user_meta( $args['id'], AUTHBRIDGE_RETRY_AT_META, true );
		answer(
			$at > 0 ? array(
				'at'       => $at,
				'failures' => (int) get_user_meta( $args['id'], AUTHBRIDGE_FAILURES_META, true ),
				'event_at' => wp_next_scheduled( AUTHBRIDGE_RETRY_HOOK ),
			) : null
		);
		break;

	case 'run-cron':
		$ids = array_map( 'intval', $args['ids'] );
		foreach ( $ids as $id ) {
			if ( get_user_meta( $id, AUTHBRIDGE_RETRY_AT_META, true ) ) {
				update_user_meta( $id, AUTHBRIDGE_RETRY_AT_META, time() );
			}
		}
		answer( array( 'ran' => authbridge_run_retries( $ids ) ) );
		break;

	default:
		fwrite( STDERR, "unknown command: $command\n" );
		exit( 2 );
}
