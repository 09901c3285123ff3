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
 *   pending-retries  {"id"}                  -> [{"at": UNIX TIME, "failures": N}]: the plugin's
 *                                            WP-Cron retries queued for that user
 *   run-cron         {"ids": [N, ...]}       -> {"ran": N}: makes the plugin's retries of those
 *                                            users due now and runs them as wp-cron.php does
 *                                            (only theirs: other tests' retries are left alone)
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

/**
 * The plugin's queued retries, as [timestamp, args] pairs.
 *
 * @return array
 */
function queued_retries() {
	$found = array();
	foreach ( (array) _get_cron_array() as $timestamp => $hooks ) {
		foreach ( isset( $hooks[ AUTHBRIDGE_RETRY_HOOK ] ) ? $hooks[ AUTHBRIDGE_RETRY_HOOK ] : array() as $event ) {
			$found[] = array( $timestamp, $event['args'] );
		}
	}
	return $found;
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

	case 'pending-retries':
		$pending = array();
		foreach ( queued_retries() as list( $timestamp, $event_args ) ) {
			if ( (int) $event_args[0] === (int) $args['id'] ) {
				$pending[] = array(
					'at'       => $timestamp,
					'failures' => (int) get_user_meta( $args['id'], AUTHBRIDGE_FAILURES_META, true ),
				);
			}
		}
		answer( $pending );
		break;

	case 'run-cron':
		$ids = array_map( 'intval', $args['ids'] );
		$ran = 0;
		foreach ( queued_retries() as list( $timestamp, $event_args ) ) {
			if ( in_array( (int) $event_args[0], $ids, true ) ) {
				// What wp-cron.php does with a due single event: unschedule it, then run its hook.
				wp_unschedule_event( $timestamp, AUTHBRIDGE_RETRY_HOOK, $event_args );
				do_action_ref_array( AUTHBRIDGE_RETRY_HOOK, $event_args );
				++$ran;
			}
		}
		answer( array( 'ran' => $ran ) );
		break;

	default:
		fwrite( STDERR, "unknown command: $command\n" );
		exit( 2 );
}
