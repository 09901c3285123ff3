<?php
/**
 * Retries of users whose post to sync-user failed (authbridge unreachable, 5xx, 429).
 *
 * Each such user gets a due time, with a delay that doubles on every failure (1 minute, 2, 4, ...)
 * and at most AUTHBRIDGE_SYNC_MAX_ATTEMPTS attempts in all; the retry posts the user as it is
 * then. One WP-Cron event (AUTHBRIDGE_RETRY_HOOK) runs the due retries and queues itself again for
 * the next due time.
 *
 * Why not one cron event per user: WordPress keeps every cron event in one option, which two
 * requests writing at once overwrite each other's changes of; during an outage, with many users
 * registering, queued retries would be lost. The due times live in each user's own meta instead,
 * and a lost change of the single event is repaired by the next failure or run, which queue it
 * again.
 *
 * @package authbridge
 */

defined( 'ABSPATH' ) || exit;

const AUTHBRIDGE_SYNC_MAX_ATTEMPTS = 10;
const AUTHBRIDGE_RETRY_FIRST_DELAY = 60;
const AUTHBRIDGE_RETRY_BATCH       = 50;
const AUTHBRIDGE_RETRY_HOOK        = 'authbridge_sync_retries';
const AUTHBRIDGE_FAILURES_META     = 'authbridge_sync_failures';
const AUTHBRIDGE_RETRY_AT_META     = 'authbridge_sync_retry_at';

add_action( AUTHBRIDGE_RETRY_HOOK, 'authbridge_run_retries' );

/**
 * Counts a failed post of user `$user_id` and gives it a due time, or gives up on it after the
 * last attempt. A retry already due sooner keeps its time.
 *
 * @param int $user_id The user.
 */
function authbridge_queue_retry( $user_id ) {
	$failures = (int) get_user_meta( $user_id, AUTHBRIDGE_FAILURES_META, true ) + 1;
	if ( $failures >= AUTHBRIDGE_SYNC_MAX_ATTEMPTS ) {
		authbridge_forget_retry( $user_id );
		authbridge_log( sprintf( 'user %d: giving up after %d attempts; run "wp authbridge sync-all" once authbridge is reachable', $user_id, $failures ) );
		return;
	}
	update_user_meta( $user_id, AUTHBRIDGE_FAILURES_META, $failures );
	$at     = time() + AUTHBRIDGE_RETRY_FIRST_DELAY * ( 2 ** ( $failures - 1 ) );
	$queued = (int) get_user_meta( $user_id, AUTHBRIDGE_RETRY_AT_META, true );
	if ( $queued > 0 && $queued < $at ) {
		$at = $queued;
	} else {
		update_user_meta( $user_id, AUTHBRIDGE_RETRY_AT_META, $at );
	}
	authbridge_schedule_retries( $at );
}

/**
 * Ends the retries of user `$user_id` (posted, refused, deleted or given up).
 *
 * @param int $user_id The user.
 */
function authbridge_forget_retry( $user_id ) {
	delete_user_meta( $user_id, AUTHBRIDGE_FAILURES_META );
	delete_user_meta( $user_id, AUTHBRIDGE_RETRY_AT_META );
}

/**
 * Makes sure the retry event runs no later than `$at`.
 *
 * @param int $at A Unix time.
 */
function authbridge_schedule_retries( $at ) {
	$next = wp_next_scheduled( AUTHBRIDGE_RETRY_HOOK );
	if ( false !== $next && $next <= $at ) {
		return;
	}
	if ( false !== $next ) {
		wp_unschedule_event( $next, AUTHBRIDGE_RETRY_HOOK );
	}
	wp_schedule_single_event( $at, AUTHBRIDGE_RETRY_HOOK );
}

/**
 * The users with a retry due by `$now`, soonest first.
 *
 * @param int        $now   A Unix time.
 * @param int[]|null $only  Only these users (null: anyone).
 * @return int[]
 */
function authbridge_due_retries( $now, $only = null ) {
	global $wpdb;
	$among = '';
	if ( is_array( $only ) ) {
		$only  = array_map( 'intval', $only );
		$among = $only ? ' AND user_id IN (' . implode( ',', $only ) . ')' : ' AND 0 = 1';
	}
	return array_map(
		'intval',
		$wpdb->get_col(
			$wpdb->prepare(
				"SELECT user_id FROM {$wpdb->usermeta} WHERE meta_key = %s AND CAST(meta_value AS UNSIGNED) <= %d{$among} ORDER BY CAST(meta_value AS UNSIGNED) LIMIT %d", // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared -- integers only.
				AUTHBRIDGE_RETRY_AT_META,
				$now,
				AUTHBRIDGE_RETRY_BATCH
			)
		)
	);
}

/**
 * Posts the users whose retry is due (the WP-Cron event), then queues the event again for the
 * next due retry, if any.
 *
 * @param int[]|mixed $only Only these users (an array; the tests use it); WP-Cron passes nothing.
 * @return int How many users were posted.
 */
function authbridge_run_retries( $only = null ) {
	global $wpdb;
	$users = authbridge_due_retries( time(), is_array( $only ) ? $only : null );
	foreach ( $users as $user_id ) {
		delete_user_meta( $user_id, AUTHBRIDGE_RETRY_AT_META );
		authbridge_sync_user( $user_id, true );
	}
	$next = $wpdb->get_var(
		$wpdb->prepare( "SELECT MIN(CAST(meta_value AS UNSIGNED)) FROM {$wpdb->usermeta} WHERE meta_key = %s", AUTHBRIDGE_RETRY_AT_META )
	);
	if ( null !== $next ) {
		authbridge_schedule_retries( max( (int) $next, time() ) );
	}
	return count( $users );
}
