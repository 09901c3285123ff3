<?php
/**
 * The credential check of the REMP protocol: `POST {site}/api/v1/remp/auth`.
 *
 * authbridge asks it, during a migration, whether a login and password are good on this site. The
 * request is a form (application/x-www-form-urlencoded) with `Authorization: Bearer <token>`, the
 * token being AUTHBRIDGE_AUTH_TOKEN from wp-config.php, and the fields, in the order they are tried:
 *
 *   - `token`: REMP's logged-in cookie token. Not supported here (authbridge never sends it), so
 *     the field is ignored;
 *   - `login`: looked up as `user_login` only;
 *   - `email`: looked up as `user_email` only;
 *   - `password`: checked with wp_check_password().
 *
 * The answers are the reference plugin's:
 *
 *   400 {"message": "..."}   no Authorization header, a header that is not two words, or a first
 *                            word other than "Bearer" (any case); also no `login` and no `email`
 *   401 {"message":"Invalid authorization token provided"}   a wrong token
 *   404, empty body          no such user
 *   401 {"message":"Unable to authenticate user"}            a wrong password
 *   200 {"data":{"ID":"123",...},"ID":123,"roles":["subscriber"]}
 *
 * and, where the reference has nothing, 405 for a method other than POST and 500 when the site has
 * no AUTHBRIDGE_AUTH_TOKEN (so a misconfigured site never looks like a wrong password).
 *
 * The route is matched on the request's path in `parse_request`, before WordPress looks for a
 * post, so it needs no rewrite rule: it works with and without pretty permalinks, as long as the
 * web server hands unknown paths to index.php (WordPress's usual .htaccess or nginx try_files).
 *
 * Like the reference, the password is checked with wp_check_password() and not wp_authenticate(),
 * so lockout and two-factor plugins do not run: authbridge counts and throttles failed attempts.
 *
 * @package authbridge
 */

defined( 'ABSPATH' ) || exit;

const AUTHBRIDGE_AUTH_ROUTE = '/api/v1/remp/auth';

add_action( 'parse_request', 'authbridge_maybe_serve_credential_check', 0 );

/**
 * Answers the credential check when this request is for it, and ends the request.
 */
function authbridge_maybe_serve_credential_check() {
	if ( ! authbridge_is_credential_check_request() ) {
		return;
	}
	$method = isset( $_SERVER['REQUEST_METHOD'] ) ? strtoupper( sanitize_text_field( wp_unslash( $_SERVER['REQUEST_METHOD'] ) ) ) : '';
	if ( 'POST' !== $method ) {
		header( 'Allow: POST' );
		authbridge_respond( 405, array( 'message' => 'Method not allowed: use POST' ) );
	}
	// The fields are read raw (no sanitising): a password may hold any character. WordPress adds
	// slashes to $_POST, which wp_unslash() removes. Nonces do not apply: the caller is a server
	// that proves itself with the bearer token.
	// phpcs:ignore WordPress.Security.NonceVerification.Missing
	$fields = wp_unslash( $_POST );
	list( $status, $body ) = authbridge_credential_check( authbridge_authorization_header(), $fields );
	authbridge_respond( $status, $body );
}

/**
 * True when the request's path is the credential check's, below the site's own path.
 *
 * @return bool
 */
function authbridge_is_credential_check_request() {
	if ( empty( $_SERVER['REQUEST_URI'] ) ) {
		return false;
	}
	// phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- only compared.
	$path  = (string) wp_parse_url( wp_unslash( $_SERVER['REQUEST_URI'] ), PHP_URL_PATH );
	$home  = (string) wp_parse_url( home_url( '/' ), PHP_URL_PATH );
	$route = rtrim( $home, '/' ) . AUTHBRIDGE_AUTH_ROUTE;
	return $path === $route || $path === $route . '/';
}

/**
 * The request's Authorization header, or null when there is none.
 *
 * PHP's built-in server and mod_php put it in HTTP_AUTHORIZATION; Apache with a rewrite (the
 * usual WordPress .htaccess) may hand it over as REDIRECT_HTTP_AUTHORIZATION; some setups only
 * show it through getallheaders(). CGI and FastCGI need the server to pass it on at all (see
 * readme.txt).
 *
 * @return string|null
 */
function authbridge_authorization_header() {
	foreach ( array( 'HTTP_AUTHORIZATION', 'REDIRECT_HTTP_AUTHORIZATION' ) as $key ) {
		if ( isset( $_SERVER[ $key ] ) && '' !== $_SERVER[ $key ] ) {
			// phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- compared only.
			return (string) wp_unslash( $_SERVER[ $key ] );
		}
	}
	if ( function_exists( 'getallheaders' ) ) {
		foreach ( (array) getallheaders() as $name => $value ) {
			if ( 0 === strcasecmp( $name, 'Authorization' ) ) {
				return (string) $value;
			}
		}
	}
	return null;
}

/**
 * The answer to one credential check.
 *
 * @param string|null $authorization The Authorization header.
 * @param array       $fields        The form fields, unslashed.
 * @return array The status and the JSON body (null: an empty body).
 */
function authbridge_credential_check( $authorization, array $fields ) {
	$authorization = trim( (string) $authorization );
	if ( '' === $authorization ) {
		return array( 400, array( 'message' => 'Authorization header is missing' ) );
	}
	$words = preg_split( '/\s+/', $authorization );
	if ( 2 !== count( $words ) || 0 !== strcasecmp( $words[0], 'Bearer' ) ) {
		return array( 400, array( 'message' => 'Authorization header must be "Bearer <token>"' ) );
	}

	$expected = authbridge_setting( 'AUTHBRIDGE_AUTH_TOKEN' );
	if ( '' === $expected ) {
		authbridge_log( 'AUTHBRIDGE_AUTH_TOKEN is not defined in wp-config.php: every credential check is refused' );
		return array( 500, array( 'message' => 'The authbridge plugin is not configured' ) );
	}
	// Comparing the hashes keeps the time independent of where, and whether by length, they differ.
	if ( ! hash_equals( hash( 'sha256', $expected ), hash( 'sha256', $words[1] ) ) ) {
		return array( 401, array( 'message' => 'Invalid authorization token provided' ) );
	}

	$field = function ( $name ) use ( $fields ) {
		return isset( $fields[ $name ] ) && is_string( $fields[ $name ] ) ? $fields[ $name ] : '';
	};
	if ( '' !== $field( 'login' ) ) {
		$user = get_user_by( 'login', $field( 'login' ) );
	} elseif ( '' !== $field( 'email' ) ) {
		$user = get_user_by( 'email', $field( 'email' ) );
	} else {
		return array( 400, array( 'message' => 'Provide login or email, and password' ) );
	}
	if ( ! $user ) {
		return array( 404, null );
	}

	$password = $field( 'password' );
	if ( '' === $password || ! wp_check_password( $password, $user->user_pass, $user->ID ) ) {
		return array( 401, array( 'message' => 'Unable to authenticate user' ) );
	}
	return array( 200, authbridge_credential_check_user( $user ) );
}

/**
 * The success body: the user's fields (never its password hash), its ID again as an integer, and
 * its roles on this site.
 *
 * @param WP_User $user The user.
 * @return array
 */
function authbridge_credential_check_user( WP_User $user ) {
	return array(
		'data'  => array(
			'ID'              => (string) $user->ID,
			'user_login'      => $user->user_login,
			'user_email'      => $user->user_email,
			'user_nicename'   => $user->user_nicename,
			'user_url'        => $user->user_url,
			'user_registered' => $user->user_registered,
			'display_name'    => $user->display_name,
			'first_name'      => (string) get_user_meta( $user->ID, 'first_name', true ),
			'last_name'       => (string) get_user_meta( $user->ID, 'last_name', true ),
		),
		'ID'    => (int) $user->ID,
		'roles' => array_values( $user->roles ),
	);
}

/**
 * Sends `$status` with `$body` as JSON (nothing when null), and ends the request.
 *
 * @param int        $status The HTTP status.
 * @param array|null $body   The body.
 */
function authbridge_respond( $status, $body ) {
	status_header( $status );
	nocache_headers();
	if ( null !== $body ) {
		header( 'Content-Type: application/json; charset=utf-8' );
		echo wp_json_encode( $body );
	}
	exit;
}
