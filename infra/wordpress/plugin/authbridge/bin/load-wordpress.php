<?php
/**
 * Loads WordPress, and this plugin when the site has not activated it, for the scripts in this
 * folder: `php bin/<script>.php /path/to/wordpress`, where the path is the folder that holds
 * wp-load.php.
 *
 * On Debian's packaged WordPress, whose wp-config.php picks /etc/wordpress/config-<host>.php by
 * host name, give the host in the environment: `HTTP_HOST=blog.example.org php bin/...`.
 *
 * @package authbridge
 */

if ( 'cli' !== PHP_SAPI ) {
	exit( 1 );
}

$authbridge_root = isset( $argv[1] ) ? rtrim( $argv[1], '/' ) : '';
if ( '' === $authbridge_root || ! is_file( $authbridge_root . '/wp-load.php' ) ) {
	fwrite( STDERR, sprintf( "usage: php %s /path/to/wordpress (the folder with wp-load.php)\n", $argv[0] ) );
	exit( 2 );
}
if ( ! isset( $_SERVER['HTTP_HOST'] ) ) {
	$_SERVER['HTTP_HOST'] = 'localhost';
}

require $authbridge_root . '/wp-load.php';
if ( ! defined( 'AUTHBRIDGE_PLUGIN_FILE' ) ) {
	require dirname( __DIR__ ) . '/authbridge.php';
}
