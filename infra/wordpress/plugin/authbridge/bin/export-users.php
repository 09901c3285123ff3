<?php
/**
 * The export without WP-CLI: `php bin/export-users.php /path/to/wordpress > users.jsonl`.
 *
 * Writes every user with its password hash as JSON lines, for `authbridge users import FILE`. The
 * file holds password hashes: keep it secret and delete it after the import.
 *
 * @package authbridge
 */

require __DIR__ . '/load-wordpress.php';

$authbridge_count = authbridge_export_users( STDOUT );
fwrite( STDERR, sprintf( "exported %d users (the file holds password hashes: keep it secret)\n", $authbridge_count ) );
