<?php
/**
 * Configuration and logging shared by the plugin's parts.
 *
 * @package authbridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * A wp-config.php constant as a trimmed string, '' when it is not defined.
 *
 * @param string $name The constant's name.
 * @return string
 */
function authbridge_setting( $name ) {
	return defined( $name ) ? trim( (string) constant( $name ) ) : '';
}

/**
 * Writes one line to PHP's error log, prefixed with "authbridge: ".
 *
 * Callers never pass a token or a password: a log line holds IDs, statuses and messages only.
 *
 * @param string $message The line.
 */
function authbridge_log( $message ) {
	// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
	error_log( 'authbridge: ' . $message );
}

/**
 * Tells administrators which constants are missing, on their dashboard.
 */
function authbridge_admin_notice() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	$missing = array();
	foreach ( array( 'AUTHBRIDGE_AUTH_TOKEN', 'AUTHBRIDGE_URL', 'AUTHBRIDGE_API_TOKEN' ) as $name ) {
		if ( '' === authbridge_setting( $name ) ) {
			$missing[] = $name;
		}
	}
	if ( $missing ) {
		printf(
			'<div class="notice notice-warning"><p>%s</p></div>',
			esc_html( 'authbridge: define ' . implode( ', ', $missing ) . ' in wp-config.php (see the plugin\'s readme.txt).' )
		);
	}
}
add_action( 'admin_notices', 'authbridge_admin_notice' );
