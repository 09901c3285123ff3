<?php
/**
 * Installs the test WordPress into its (empty) database and activates the authbridge plugin:
 * `php install.php SITE_DIR URL`. Called by setup.sh.
 *
 * @package authbridge
 */

if ( 'cli' !== PHP_SAPI || $argc < 3 ) {
	fwrite( STDERR, "usage: php install.php SITE_DIR URL\n" );
	exit( 2 );
}
list( , $site, $url ) = $argv;

$_SERVER['HTTP_HOST'] = parse_url( $url, PHP_URL_HOST ) . ':' . parse_url( $url, PHP_URL_PORT );
define( 'WP_INSTALLING', true );
require $site . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';

$result = wp_install( 'authbridge test site', 'admin', 'admin@example.org', false, '', wp_generate_password( 24 ) );
if ( is_wp_error( $result ) ) {
	fwrite( STDERR, 'wp_install: ' . $result->get_error_message() . "\n" );
	exit( 1 );
}
update_option( 'siteurl', $url );
update_option( 'home', $url );
// Pretty permalinks, as on most real sites; the plugin's route needs none.
update_option( 'permalink_structure', '/%postname%/' );

$activated = activate_plugin( 'authbridge/authbridge.php' );
if ( is_wp_error( $activated ) ) {
	fwrite( STDERR, 'activate_plugin: ' . $activated->get_error_message() . "\n" );
	exit( 1 );
}
echo 'WordPress ', get_bloginfo( 'version' ), " installed at $url\n";
