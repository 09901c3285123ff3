<?php
/**
 * Posts every new and changed user to authbridge: `POST {AUTHBRIDGE_URL}/api/v1/wordpress/sync-user`
 * with `Authorization: Bearer AUTHBRIDGE_API_TOKEN` and the JSON body of the REMP protocol.
 *
 * When: `user_register` and `profile_update` (and a later change of the first or last name, which
 * some forms save after the user) only note the user; the post happens once, at the end of the
 * request (`shutdown`), when every field is final.
 *
 * Never blocking the page: under PHP-FPM the response is finished before posting; elsewhere the
 * post waits at most AUTHBRIDGE_SYNC_TIMEOUT seconds (the bulk sync, an admin's command rather
 * than a page, waits up to AUTHBRIDGE_BULK_SYNC_TIMEOUT for a busy authbridge). When authbridge cannot be reached, or answers
 * 5xx or 429, a retry is queued (retry.php). Any other 4xx (409 email_conflict, 400 payload error,
 * 401/403 token refused) is logged and not retried: trying again would give the same answer.
 * `wp authbridge sync-all` catches up on anything lost.
 *
 * @package authbridge
 */

defined( 'ABSPATH' ) || exit;

const AUTHBRIDGE_SYNC_PATH         = '/api/v1/wordpress/sync-user';
const AUTHBRIDGE_SYNC_TIMEOUT      = 3;
const AUTHBRIDGE_BULK_SYNC_TIMEOUT = 30;

add_action( 'user_register', 'authbridge_note_user' );
add_action( 'profile_update', 'authbridge_note_user' );
add_action( 'added_user_meta', 'authbridge_note_user_meta', 10, 3 );
add_action( 'updated_user_meta', 'authbridge_note_user_meta', 10, 3 );
add_action( 'shutdown', 'authbridge_sync_noted_users', 100 );

/**
 * The users noted during this request, as keys.
 *
 * @var array<int, true>
 */
$GLOBALS['authbridge_noted_users'] = array();

/**
 * Notes that user `$user_id` is to be posted at the end of the request.
 *
 * @param int $user_id The user.
 */
function authbridge_note_user( $user_id ) {
	$GLOBALS['authbridge_noted_users'][ (int) $user_id ] = true;
}

/**
 * Notes the user when its first or last name changed.
 *
 * @param int    $meta_id  Unused.
 * @param int    $user_id  The user.
 * @param string $meta_key The changed field.
 */
function authbridge_note_user_meta( $meta_id, $user_id, $meta_key ) {
	if ( 'first_name' === $meta_key || 'last_name' === $meta_key ) {
		authbridge_note_user( $user_id );
	}
}

/**
 * Posts the users noted during this request (on `shutdown`).
 */
function authbridge_sync_noted_users() {
	$users                             = array_keys( $GLOBALS['authbridge_noted_users'] );
	$GLOBALS['authbridge_noted_users'] = array();
	if ( ! $users ) {
		return;
	}
	// The page is complete by now (WordPress flushed its output at `shutdown` priority 1): under
	// PHP-FPM, let the visitor go before talking to authbridge.
	if ( function_exists( 'fastcgi_finish_request' ) && apply_filters( 'authbridge_finish_request_before_sync', true ) ) {
		fastcgi_finish_request();
	}
	foreach ( $users as $user_id ) {
		authbridge_sync_user( $user_id, true );
	}
}

/**
 * Posts one user and records the outcome: anything but a failure ends its retries. In the
 * background (a hook or a retry), a failure queues a retry and every problem is logged; otherwise
 * (the bulk sync) the caller reports.
 *
 * @param int  $user_id    The user.
 * @param bool $background Whether to queue a retry on failure and log problems.
 * @return array The outcome of authbridge_post_user().
 */
function authbridge_sync_user( $user_id, $background ) {
	$outcome = authbridge_post_user(
		$user_id,
		$background ? AUTHBRIDGE_SYNC_TIMEOUT : AUTHBRIDGE_BULK_SYNC_TIMEOUT
	);
	if ( 'failed' !== $outcome['result'] ) {
		authbridge_forget_retry( $user_id );
	} elseif ( $background ) {
		authbridge_queue_retry( $user_id );
	}
	if ( $background && 'synced' !== $outcome['result'] ) {
		authbridge_log( sprintf( 'user %d not synced: %s', $user_id, $outcome['detail'] ) );
	}
	return $outcome;
}

/**
 * True when wp-config.php says where authbridge is and how to call it.
 *
 * @return bool
 */
function authbridge_sync_configured() {
	return '' !== authbridge_setting( 'AUTHBRIDGE_URL' ) && '' !== authbridge_setting( 'AUTHBRIDGE_API_TOKEN' );
}

/**
 * Posts one user to sync-user.
 *
 * @param int $user_id The user.
 * @param int $timeout Seconds the post may take.
 * @return array `result`: 'synced'; 'conflict' (409); 'refused' (another 4xx or a redirect: not
 *               worth retrying); 'failed' (unreachable, 5xx, 429: retry later); 'skipped' (no
 *               such user, or the plugin is not configured); and `detail`, for the log.
 */
function authbridge_post_user( $user_id, $timeout = AUTHBRIDGE_SYNC_TIMEOUT ) {
	if ( ! authbridge_sync_configured() ) {
		return array(
			'result' => 'skipped',
			'detail' => 'AUTHBRIDGE_URL or AUTHBRIDGE_API_TOKEN is not defined in wp-config.php',
		);
	}
	$user = get_userdata( $user_id );
	if ( ! $user ) {
		return array(
			'result' => 'skipped',
			'detail' => 'no such user',
		);
	}

	$response = wp_remote_post(
		rtrim( authbridge_setting( 'AUTHBRIDGE_URL' ), '/' ) . AUTHBRIDGE_SYNC_PATH,
		array(
			'timeout'     => $timeout,
			'redirection' => 0,
			'headers'     => array(
				'Authorization' => 'Bearer ' . authbridge_setting( 'AUTHBRIDGE_API_TOKEN' ),
				'Content-Type'  => 'application/json',
				'Accept'        => 'application/json',
			),
			'body'        => wp_json_encode( authbridge_sync_payload( $user ) ),
			'data_format' => 'body',
		)
	);
	if ( is_wp_error( $response ) ) {
		return array(
			'result' => 'failed',
			'detail' => 'authbridge unreachable: ' . $response->get_error_message(),
		);
	}

	$status = (int) wp_remote_retrieve_response_code( $response );
	$answer = json_decode( wp_remote_retrieve_body( $response ), true );
	$detail = sprintf( 'HTTP %d', $status );
	if ( is_array( $answer ) && isset( $answer['message'] ) && is_string( $answer['message'] ) ) {
		$detail .= ': ' . $answer['message'];
		if ( isset( $answer['errors'] ) ) {
			$detail .= ' ' . wp_json_encode( $answer['errors'] );
		}
	}

	if ( $status >= 200 && $status < 300 ) {
		$result = 'synced';
	} elseif ( 409 === $status ) {
		$result = 'conflict';
	} elseif ( 429 === $status || $status >= 500 ) {
		$result = 'failed';
	} else {
		$result = 'refused';
		if ( $status >= 300 && $status < 400 ) {
			$detail .= ' (a redirect: check AUTHBRIDGE_URL)';
		} elseif ( 401 === $status || 403 === $status ) {
			$detail .= ' (check AUTHBRIDGE_API_TOKEN and that it may call sync-user)';
		}
	}
	return array(
		'result' => $result,
		'detail' => $detail,
	);
}

/**
 * The sync-user body for `$user`: the required fields, and each optional one that is not empty.
 *
 * @param WP_User $user The user.
 * @return array
 */
function authbridge_sync_payload( WP_User $user ) {
	$payload  = array(
		'wordpress_id'  => (int) $user->ID,
		'email'         => $user->user_email,
		'registered_at' => authbridge_rfc3339( $user->user_registered ),
		'user_login'    => $user->user_login,
	);
	$optional = array(
		'user_nicename' => $user->user_nicename,
		'user_url'      => $user->user_url,
		'display_name'  => $user->display_name,
		'first_name'    => get_user_meta( $user->ID, 'first_name', true ),
		'last_name'     => get_user_meta( $user->ID, 'last_name', true ),
	);
	foreach ( $optional as $key => $value ) {
		if ( is_string( $value ) && '' !== $value ) {
			$payload[ $key ] = $value;
		}
	}
	return $payload;
}

/**
 * `user_registered` (UTC, "Y-m-d H:i:s") as RFC 3339, e.g. "2020-03-13T14:02:44+00:00". A zero or
 * broken date (some very old sites have "0000-00-00 00:00:00") becomes the current time: the user
 * was registered no later than now.
 *
 * @param string $registered The stored date.
 * @return string
 */
function authbridge_rfc3339( $registered ) {
	$utc  = new DateTimeZone( 'UTC' );
	$time = DateTimeImmutable::createFromFormat( '!Y-m-d H:i:s', (string) $registered, $utc );
	if ( false === $time || $time->getTimestamp() <= 0 ) {
		$time = new DateTimeImmutable( 'now', $utc );
	}
	return $time->format( DATE_RFC3339 );
}
