<?php
/**
 * Router for PHP's built-in server (`php -S 127.0.0.1:PORT -t SITE router.php`), doing what
 * WordPress's .htaccess does under Apache: an existing file or folder is served as it is (PHP files
 * run), and every other path goes to index.php, so pretty permalinks and the plugin's
 * /api/v1/remp/auth reach WordPress.
 *
 * @package authbridge
 */

$authbridge_path = (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH );
$authbridge_file = $_SERVER['DOCUMENT_ROOT'] . $authbridge_path;
if ( '/' !== $authbridge_path && ( is_file( $authbridge_file ) || is_dir( $authbridge_file ) ) ) {
	return false;
}
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
require $_SERVER['SCRIPT_FILENAME'];
