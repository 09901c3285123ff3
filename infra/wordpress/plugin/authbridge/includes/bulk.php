<?php
/**
 * Whole-site operations for a migration, used by the WP-CLI commands (cli.php) and by the plain
 * PHP scripts in bin/:
 *
 *   - the bulk sync: every user posted to sync-user ("migrate first, authenticate later");
 *   - the export: every user with its password hash, as JSON lines for `authbridge users import`.
 *
 * Both walk the users table by ID in batches, so memory stays flat on large sites.
 *
 * @package authbridge
 */

defined( 'ABSPATH' ) || exit;

/**
 * The IDs of the next batch of users after ID `$after`, in ID order.
 *
 * @param int $after The last ID of the previous batch (0 for the first).
 * @param int $limit The batch size.
 * @return int[]
 */
function authbridge_user_ids_after( $after, $limit ) {
	global $wpdb;
	$ids = $wpdb->get_col(
		$wpdb->prepare( "SELECT ID FROM {$wpdb->users} WHERE ID > %d ORDER BY ID ASC LIMIT %d", $after, $limit )
	);
	return array_map( 'intval', $ids );
}

/**
 * Posts every user to sync-user, in ID order. A failure is reported, not retried: running the
 * sync again posts everyone again, which sync-user takes as an update.
 *
 * @param callable $report     Called with one line per user not synced.
 * @param int      $batch_size Users read at a time.
 * @return array Counts: `synced`, `conflicts`, `failed` (every other outcome).
 */
function authbridge_sync_all( callable $report, $batch_size = 200 ) {
	$counts = array(
		'synced'    => 0,
		'conflicts' => 0,
		'failed'    => 0,
	);
	$last   = 0;
	do {
		$ids = authbridge_user_ids_after( $last, $batch_size );
		foreach ( $ids as $user_id ) {
			$last    = $user_id;
			$outcome = authbridge_sync_user( $user_id, false );
			if ( 'synced' === $outcome['result'] ) {
				++$counts['synced'];
			} elseif ( 'conflict' === $outcome['result'] ) {
				++$counts['conflicts'];
				$report( sprintf( 'user %d: conflict: %s', $user_id, $outcome['detail'] ) );
			} else {
				++$counts['failed'];
				$report( sprintf( 'user %d: %s: %s', $user_id, $outcome['result'], $outcome['detail'] ) );
			}
			clean_user_cache( $user_id );
		}
	} while ( count( $ids ) === $batch_size );
	return $counts;
}

/**
 * The summary line of a bulk sync.
 *
 * @param array $counts The counts of authbridge_sync_all().
 * @return string
 */
function authbridge_sync_all_summary( array $counts ) {
	return sprintf( 'synced %d, conflicts %d, failed %d', $counts['synced'], $counts['conflicts'], $counts['failed'] );
}

/**
 * Writes every user as one JSON line to `$out`: ID, user_login, user_email, user_pass (the hash
 * as stored), user_nicename, user_url, user_registered (as stored: UTC, "Y-m-d H:i:s"),
 * display_name, first_name, last_name. The output holds password hashes: treat it as a secret.
 *
 * @param resource $out        Where to write.
 * @param int      $batch_size Users read at a time.
 * @return int How many users were written.
 */
function authbridge_export_users( $out, $batch_size = 500 ) {
	global $wpdb;
	$written = 0;
	$last    = 0;
	do {
		$ids = authbridge_user_ids_after( $last, $batch_size );
		if ( ! $ids ) {
			break;
		}
		$last = end( $ids );
		$rows = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT ID, user_login, user_email, user_pass, user_nicename, user_url, user_registered, display_name
				FROM {$wpdb->users} WHERE ID >= %d AND ID <= %d ORDER BY ID ASC",
				$ids[0],
				$last
			),
			ARRAY_A
		);
		update_meta_cache( 'user', $ids );
		foreach ( $rows as $row ) {
			$id   = (int) $row['ID'];
			$line = array(
				'ID'              => $id,
				'user_login'      => $row['user_login'],
				'user_email'      => $row['user_email'],
				'user_pass'       => $row['user_pass'],
				'user_nicename'   => $row['user_nicename'],
				'user_url'        => $row['user_url'],
				'user_registered' => $row['user_registered'],
				'display_name'    => $row['display_name'],
				'first_name'      => (string) get_user_meta( $id, 'first_name', true ),
				'last_name'       => (string) get_user_meta( $id, 'last_name', true ),
			);
			fwrite( $out, wp_json_encode( $line, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) . "\n" ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_read_fwrite
			++$written;
			wp_cache_delete( $id, 'user_meta' );
		}
	} while ( count( $ids ) === $batch_size );
	return $written;
}
