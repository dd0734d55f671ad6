<?php
/**
 * The admin side: WooCommerce > Backorders opens the connector's app, WooCommerce > Backorder
 * connector holds the settings. Both need the manage_woocommerce capability.
 *
 * Opening the app: the plugin asks the connector (server to server, signed) for a single-use link
 * for the current user, valid five minutes, and redirects the browser to it; the connector then
 * keeps its own session. When that fails the page says why in an admin notice.
 *
 * @package BackorderConnector
 */

defined( 'ABSPATH' ) || exit;

const BACKORDER_CONNECTOR_CAPABILITY    = 'manage_woocommerce';
const BACKORDER_CONNECTOR_APP_PAGE      = 'backorder-connector';
const BACKORDER_CONNECTOR_SETTINGS_PAGE = 'backorder-connector-settings';
const BACKORDER_CONNECTOR_SETTINGS      = 'backorder_connector';
const BACKORDER_CONNECTOR_DETECT        = 'backorder_connector_detect';

add_action( 'admin_menu', 'backorder_connector_admin_menu', 60 );
add_action( 'admin_init', 'backorder_connector_register_settings' );
add_action( 'admin_post_' . BACKORDER_CONNECTOR_DETECT, 'backorder_connector_detect' );
/* options.php asks for manage_options unless told which capability saves this group. */
add_filter(
	'option_page_capability_' . BACKORDER_CONNECTOR_SETTINGS,
	function () {
		return BACKORDER_CONNECTOR_CAPABILITY;
	}
);

/** WooCommerce > Backorders (opens the app) and WooCommerce > Backorder connector (settings). */
function backorder_connector_admin_menu(): void {
	$hook = add_submenu_page(
		'woocommerce',
		__( 'Backorders', 'backorder-connector' ),
		__( 'Backorders', 'backorder-connector' ),
		BACKORDER_CONNECTOR_CAPABILITY,
		BACKORDER_CONNECTOR_APP_PAGE,
		'backorder_connector_app_page'
	);
	if ( $hook ) {
		add_action( 'load-' . $hook, 'backorder_connector_open_app' ); // before any output: a redirect is possible
	}
	add_submenu_page(
		'woocommerce',
		__( 'Backorder connector settings', 'backorder-connector' ),
		__( 'Backorder connector', 'backorder-connector' ),
		BACKORDER_CONNECTOR_CAPABILITY,
		BACKORDER_CONNECTOR_SETTINGS_PAGE,
		'backorder_connector_settings_page'
	);
}

/**
 * A single-use link into the connector's app for the current user.
 *
 * @return string|WP_Error
 */
function backorder_connector_app_link() {
	$user   = wp_get_current_user();
	$answer = backorder_connector_request(
		'/app/woocommerce/link',
		array(
			'user_id'    => (string) $user->ID,
			'user_login' => (string) $user->user_login,
		)
	);
	if ( is_wp_error( $answer ) ) {
		return $answer;
	}
	$link  = isset( $answer['url'] ) && is_string( $answer['url'] ) ? $answer['url'] : '';
	$parts = wp_parse_url( $link );
	// Only the app's entry point, over https (or http when the connector itself is set up on http).
	$schemes = 0 === strpos( backorder_connector_url(), 'http://' ) ? array( 'https', 'http' ) : array( 'https' );
	if ( ! is_array( $parts ) || ! in_array( $parts['scheme'] ?? '', $schemes, true ) || empty( $parts['host'] )
		|| '/app/woocommerce/enter' !== substr( $parts['path'] ?? '', -strlen( '/app/woocommerce/enter' ) ) ) {
		return new WP_Error( 'backorder_connector_bad_link', __( 'The backorder connector answered without a link to its app.', 'backorder-connector' ) );
	}
	return $link;
}

/** load-<page>: redirect to the app, or keep the error for the notice. */
function backorder_connector_open_app(): void {
	if ( ! current_user_can( BACKORDER_CONNECTOR_CAPABILITY ) ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to open the backorder connector.', 'backorder-connector' ), 403 );
	}
	$link = backorder_connector_app_link();
	if ( is_wp_error( $link ) ) {
		$GLOBALS['backorder_connector_error'] = $link;
		add_action( 'admin_notices', 'backorder_connector_error_notice' );
		return;
	}
	nocache_headers();
	wp_redirect( $link, 303, 'Backorder connector' ); // phpcs:ignore WordPress.Security.SafeRedirect -- the connector's own host, checked above
	exit;
}

/** The reason the app could not be opened, as an admin notice. */
function backorder_connector_error_notice(): void {
	$error = $GLOBALS['backorder_connector_error'] ?? null;
	if ( is_wp_error( $error ) ) {
		echo '<div class="notice notice-error"><p>' . esc_html( $error->get_error_message() ) . '</p></div>';
	}
}

/** WooCommerce > Backorders when the app could not be opened (the notice above says why). */
function backorder_connector_app_page(): void {
	echo '<div class="wrap"><h1>' . esc_html__( 'Backorders', 'backorder-connector' ) . '</h1>';
	echo '<p>' . esc_html__( 'The backorder connector\'s app could not be opened.', 'backorder-connector' ) . '</p><p>';
	echo '<a class="button button-primary" href="' . esc_url( admin_url( 'admin.php?page=' . BACKORDER_CONNECTOR_APP_PAGE ) ) . '">'
		. esc_html__( 'Try again', 'backorder-connector' ) . '</a> ';
	echo '<a class="button" href="' . esc_url( admin_url( 'admin.php?page=' . BACKORDER_CONNECTOR_SETTINGS_PAGE ) ) . '">'
		. esc_html__( 'Settings', 'backorder-connector' ) . '</a></p></div>';
}

/** The old in-stock date snippet is still installed (it prints the date; this plugin does not). */
function backorder_connector_old_snippet_notice(): void {
	if ( current_user_can( BACKORDER_CONNECTOR_CAPABILITY ) ) {
		echo '<div class="notice notice-warning"><p>' . esc_html__( 'The old "Backorder connector - expected in-stock date" snippet is still installed (wp-content/mu-plugins): delete it, and the Backorder Connector plugin shows the date from then on.', 'backorder-connector' ) . '</p></div>';
	}
}

/* -- settings ------------------------------------------------------------------------------------ */

function backorder_connector_register_settings(): void {
	register_setting(
		BACKORDER_CONNECTOR_SETTINGS,
		BACKORDER_CONNECTOR_OPTION_URL,
		array(
			'type'              => 'string',
			'default'           => '',
			'sanitize_callback' => 'backorder_connector_sanitize_url',
		)
	);
	register_setting(
		BACKORDER_CONNECTOR_SETTINGS,
		BACKORDER_CONNECTOR_OPTION_SECRET,
		array(
			'type'              => 'string',
			'default'           => '',
			'sanitize_callback' => 'backorder_connector_sanitize_secret',
		)
	);
}

/**
 * The connector URL as saved: an http(s) address without query, or the previous value (with a message).
 *
 * @param mixed $value What the form sent.
 */
function backorder_connector_sanitize_url( $value ): string {
	$value = untrailingslashit( trim( (string) $value ) );
	if ( '' === $value ) {
		return '';
	}
	$parts = wp_parse_url( $value );
	if ( ! is_array( $parts ) || ! in_array( $parts['scheme'] ?? '', array( 'https', 'http' ), true ) || empty( $parts['host'] )
		|| isset( $parts['query'] ) || isset( $parts['fragment'] ) || isset( $parts['user'] ) ) {
		add_settings_error(
			BACKORDER_CONNECTOR_OPTION_URL,
			'backorder_connector_url',
			__( 'The connector URL must be a web address such as https://backorders.example.com.', 'backorder-connector' )
		);
		return backorder_connector_url();
	}
	return esc_url_raw( $value, array( 'https', 'http' ) );
}

/**
 * The store secret as saved: empty keeps the stored one (the form never shows it).
 *
 * @param mixed $value What the form sent.
 */
function backorder_connector_sanitize_secret( $value ): string {
	$value = trim( (string) $value );
	if ( '' === $value ) {
		return backorder_connector_secret();
	}
	if ( preg_match( '/\s/', $value ) ) {
		add_settings_error(
			BACKORDER_CONNECTOR_OPTION_SECRET,
			'backorder_connector_secret',
			__( 'The store secret has no spaces: copy it whole, and only it.', 'backorder-connector' )
		);
		return backorder_connector_secret();
	}
	return $value;
}

/** WooCommerce > Backorder connector. */
function backorder_connector_settings_page(): void {
	if ( ! current_user_can( BACKORDER_CONNECTOR_CAPABILITY ) ) {
		return;
	}
	$detected = isset( $_GET['backorder-connector-detected'] ) ? sanitize_key( wp_unslash( $_GET['backorder-connector-detected'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification -- a message only
	echo '<div class="wrap"><h1>' . esc_html__( 'Backorder connector', 'backorder-connector' ) . '</h1>';
	if ( '1' === $detected ) {
		echo '<div class="notice notice-success"><p>' . esc_html__( 'The connector URL and the store secret were read from the connector\'s webhook.', 'backorder-connector' ) . '</p></div>';
	} elseif ( '0' === $detected ) {
		echo '<div class="notice notice-warning"><p>' . esc_html__( 'No active webhook of the connector was found: connect the store to the connector first, or enter both below.', 'backorder-connector' ) . '</p></div>';
	}
	settings_errors();
	echo '<form method="post" action="' . esc_url( admin_url( 'options.php' ) ) . '">';
	settings_fields( BACKORDER_CONNECTOR_SETTINGS );
	echo '<table class="form-table" role="presentation"><tr><th scope="row"><label for="backorder-connector-url">'
		. esc_html__( 'Connector URL', 'backorder-connector' ) . '</label></th><td>'
		. '<input type="url" class="regular-text" id="backorder-connector-url" name="' . esc_attr( BACKORDER_CONNECTOR_OPTION_URL ) . '" value="' . esc_attr( backorder_connector_url() ) . '" placeholder="https://backorders.example.com">'
		. '<p class="description">' . esc_html__( 'The address of the backorder connector this store is connected to.', 'backorder-connector' ) . '</p></td></tr>'
		. '<tr><th scope="row"><label for="backorder-connector-secret">' . esc_html__( 'Store secret', 'backorder-connector' ) . '</label></th><td>'
		. '<input type="password" class="regular-text" id="backorder-connector-secret" name="' . esc_attr( BACKORDER_CONNECTOR_OPTION_SECRET ) . '" value="" autocomplete="off">'
		. '<p class="description">' . esc_html(
			'' !== backorder_connector_secret()
				? __( 'A secret is stored. Leave this empty to keep it.', 'backorder-connector' )
				: __( 'The secret the connector made for this store when it was connected: it is the Secret of the connector\'s webhooks (WooCommerce > Settings > Advanced > Webhooks).', 'backorder-connector' )
		) . '</p></td></tr></table>';
	submit_button();
	echo '</form><h2>' . esc_html__( 'Read them from the connector\'s webhook', 'backorder-connector' ) . '</h2><p>'
		. esc_html__( 'When the store was connected, the connector created webhooks pointing at itself and signed with the store secret. This fills in both settings from them.', 'backorder-connector' )
		. '</p><form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">'
		. '<input type="hidden" name="action" value="' . esc_attr( BACKORDER_CONNECTOR_DETECT ) . '">';
	wp_nonce_field( BACKORDER_CONNECTOR_DETECT );
	submit_button( __( 'Read from the webhook', 'backorder-connector' ), 'secondary' );
	echo '</form>';
	do_action( 'backorder_connector_settings_page' ); // more settings (storefront-settings.php)
	echo '</div>';
}

/**
 * The connector's URL and the store secret from an active WooCommerce webhook delivering to
 * <connector>/webhooks/woocommerce, or null.
 *
 * @return array{url: string, secret: string}|null
 */
function backorder_connector_find_webhook(): ?array {
	if ( ! class_exists( 'WC_Data_Store' ) || ! function_exists( 'wc_get_webhook' ) ) {
		return null;
	}
	$ids = WC_Data_Store::load( 'webhook' )->search_webhooks(
		array(
			'status' => 'active',
			'limit'  => -1,
		)
	);
	foreach ( (array) $ids as $id ) {
		$webhook = wc_get_webhook( $id );
		if ( ! $webhook ) {
			continue;
		}
		$secret = (string) $webhook->get_secret();
		if ( '' !== $secret && preg_match( '#^(https?://[^?\#\s]+?)/webhooks/woocommerce$#', (string) $webhook->get_delivery_url(), $match ) ) {
			return array(
				'url'    => $match[1],
				'secret' => $secret,
			);
		}
	}
	return null;
}

/** admin-post.php?action=backorder_connector_detect: fill the settings from the connector's webhook. */
function backorder_connector_detect(): void {
	if ( ! current_user_can( BACKORDER_CONNECTOR_CAPABILITY ) ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to change the backorder connector\'s settings.', 'backorder-connector' ), 403 );
	}
	check_admin_referer( BACKORDER_CONNECTOR_DETECT );
	$found = backorder_connector_find_webhook();
	if ( null !== $found ) {
		update_option( BACKORDER_CONNECTOR_OPTION_URL, $found['url'] );
		update_option( BACKORDER_CONNECTOR_OPTION_SECRET, $found['secret'] );
	}
	wp_safe_redirect( add_query_arg( 'backorder-connector-detected', null === $found ? '0' : '1', admin_url( 'admin.php?page=' . BACKORDER_CONNECTOR_SETTINGS_PAGE ) ) );
	exit;
}
