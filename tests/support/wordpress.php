<?php
/**
 * Stand-ins for the WordPress and WooCommerce functions the backorder connector plugin calls, written
 * the way WordPress defines them (same arguments, same answers for what the plugin uses), so the
 * plugin's own code runs on the PHP CLI. Used by tests/unit/test_woocommerce_plugin.py and
 * tests/integration/test_woocommerce_plugin_connector.py.
 *
 * State lives in $GLOBALS['wp']: options, the current user and capabilities, hooks, menu pages,
 * settings, settings errors, HTTP requests made; wp_redirect and wp_die throw (WordPress would exit).
 * wp_remote_post answers from $GLOBALS['wp']['http_answers'] when set, else makes the real request
 * over HTTP (file_get_contents), as WordPress's HTTP API would.
 */

define( 'ABSPATH', __DIR__ . '/' );

$GLOBALS['wp'] = array(
	'options'         => array( 'date_format' => 'F j, Y', 'timezone_string' => 'UTC', 'home' => 'https://tea.example' ),
	'user'            => array( 'ID' => 1, 'user_login' => 'admin' ),
	'caps'            => array( 'manage_woocommerce' ),
	'hooks'           => array(),
	'menu'            => array(),
	'settings'        => array(),
	'settings_errors' => array(),
	'requests'        => array(),
	'http_answers'    => null,
	'nonce_ok'        => true,
	'locale_months'   => null,
	'webhooks'        => array(),
	'policy'          => array(),
	'locale'          => 'en_US',
	'languages'       => array(),
	'products'        => array(),
	'cart'            => null,
	'scripts'         => array(),
	'is_product'      => false,
);

class WP_Error {
	private array $added = array();
	public function __construct( private string $code = '', private string $message = '' ) {}
	public function get_error_code() { return $this->code; }
	public function get_error_message() { return $this->message; }
	public function add( $code, $message ) { '' === $this->code ? [ $this->code, $this->message ] = array( $code, $message ) : $this->added[] = array( $code, $message ); }
	public function get_error_codes() { return array_merge( '' === $this->code ? array() : array( $this->code ), array_column( $this->added, 0 ) ); }
	public function get_error_messages() { return array_merge( '' === $this->code ? array() : array( $this->message ), array_column( $this->added, 1 ) ); }
}
class WP_Redirect extends Exception {
	public function __construct( public string $location, public int $status ) { parent::__construct( $location ); }
}
class WP_Die extends Exception {
	public function __construct( string $message, public int $status ) { parent::__construct( $message ); }
}

function add_filter( $hook, $callback, $priority = 10, $accepted_args = 1 ) {
	$GLOBALS['wp']['hooks'][ $hook ][] = array( $callback, $priority, $accepted_args );
	return true;
}
function add_action( $hook, $callback, $priority = 10, $accepted_args = 1 ) { return add_filter( $hook, $callback, $priority, $accepted_args ); }
function apply_filters( $hook, $value, ...$args ) {
	$hooks = $GLOBALS['wp']['hooks'][ $hook ] ?? array();
	usort( $hooks, fn( $a, $b ) => $a[1] <=> $b[1] );
	foreach ( $hooks as [ $callback, , $accepted ] ) {
		$value = $callback( ...array_slice( array_merge( array( $value ), $args ), 0, $accepted ) );
	}
	return $value;
}
function do_action( $hook, ...$args ) {
	$hooks = $GLOBALS['wp']['hooks'][ $hook ] ?? array();
	usort( $hooks, fn( $a, $b ) => $a[1] <=> $b[1] );
	foreach ( $hooks as [ $callback, , $accepted ] ) {
		$callback( ...array_slice( $args, 0, $accepted ) );
	}
}

function __( $text, $domain = 'default' ) { return $text; }
function esc_html__( $text, $domain = 'default' ) { return esc_html( $text ); }
function esc_html( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' ); }
function esc_attr( $text ) { return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' ); }
function esc_url_raw( $url, $protocols = null ) {
	$url = trim( (string) $url );
	$scheme = strtolower( (string) parse_url( $url, PHP_URL_SCHEME ) );
	return in_array( $scheme, $protocols ?? array( 'http', 'https' ), true ) ? str_replace( array( ' ', '"', "'", '<', '>' ), array( '%20', '%22', '%27', '%3C', '%3E' ), $url ) : '';
}
function esc_url( $url ) { return str_replace( '&', '&#038;', esc_url_raw( $url ) ); }
function sanitize_key( $key ) { return preg_replace( '/[^a-z0-9_\-]/', '', strtolower( (string) $key ) ); }
function wp_unslash( $value ) { return is_string( $value ) ? stripslashes( $value ) : $value; }
function untrailingslashit( $value ) { return rtrim( (string) $value, '/\\' ); }
function wp_parse_url( $url, $component = -1 ) { return parse_url( (string) $url, $component ); }
function wp_json_encode( $data, $options = 0, $depth = 512 ) { return json_encode( $data, $options, $depth ); }
function is_wp_error( $thing ) { return $thing instanceof WP_Error; }
function wp_strip_all_tags( $text, $remove_breaks = false ) {
	$text = trim( strip_tags( preg_replace( '@<(script|style)[^>]*?>.*?</\\1>@si', '', (string) $text ) ) );
	return $remove_breaks ? trim( preg_replace( '/[\r\n\t ]+/', ' ', $text ) ) : $text;
}
/** sanitize_text_field: no tags, no line breaks or tabs, no surrounding or repeated spaces (as WordPress does). */
function sanitize_text_field( $text ) {
	return trim( preg_replace( '/[\r\n\t ]+/', ' ', wp_strip_all_tags( (string) $text ) ) );
}
if ( ! function_exists( 'mb_substr' ) ) {
	/** WordPress's compat.php defines mb_substr (UTF-8) when PHP's mbstring is missing. */
	function mb_substr( $string, $start, $length = null, $encoding = null ) {
		preg_match_all( '/./us', (string) $string, $chars );
		return implode( '', array_slice( $chars[0], $start, $length ) );
	}
}
function get_locale() { return $GLOBALS['wp']['locale']; }
function determine_locale() { return $GLOBALS['wp']['locale']; }
function get_available_languages( $dir = null ) { return $GLOBALS['wp']['languages']; }
function plugins_url( $path = '', $plugin = '' ) { return home_url( 'wp-content/plugins/' . basename( dirname( $plugin ) ) . '/' . ltrim( $path, '/' ) ); }
function wp_enqueue_script( $handle, $src = '', $deps = array(), $ver = false, $args = array() ) { $GLOBALS['wp']['scripts'][ $handle ] = compact( 'src', 'deps', 'ver' ); }

function get_option( $name, $default = false ) { return $GLOBALS['wp']['options'][ $name ] ?? $default; }
function update_option( $name, $value, $autoload = null ) {
	$callback = $GLOBALS['wp']['settings'][ $name ]['sanitize_callback'] ?? null;
	$GLOBALS['wp']['options'][ $name ] = $callback ? $callback( $value ) : $value;
	return true;
}
function delete_option( $name ) { unset( $GLOBALS['wp']['options'][ $name ] ); return true; }
function home_url( $path = '' ) { return rtrim( $GLOBALS['wp']['options']['home'], '/' ) . '/' . ltrim( $path, '/' ); }
function admin_url( $path = '' ) { return home_url( 'wp-admin/' . ltrim( $path, '/' ) ); }
function add_query_arg( $key, $value, $url ) { return $url . ( str_contains( $url, '?' ) ? '&' : '?' ) . rawurlencode( $key ) . '=' . rawurlencode( $value ); }
function plugin_basename( $file ) { return basename( dirname( $file ) ) . '/' . basename( $file ); }
function load_plugin_textdomain( $domain, $deprecated = false, $path = false ) { return true; }

function wp_timezone() { return new DateTimeZone( $GLOBALS['wp']['options']['timezone_string'] ); }
/** wp_date: the timestamp in $timezone (default: the site's), month names in the site's language. */
function wp_date( $format, $timestamp = null, $timezone = null ) {
	$date = ( new DateTimeImmutable( '@' . ( $timestamp ?? time() ) ) )->setTimezone( $timezone ?? wp_timezone() );
	$text = $date->format( $format );
	$months = $GLOBALS['wp']['locale_months'];
	return $months ? str_replace( array_keys( $months ), array_values( $months ), $text ) : $text;
}

function current_user_can( $capability ) { return in_array( $capability, $GLOBALS['wp']['caps'], true ); }
function wp_get_current_user() { return (object) $GLOBALS['wp']['user']; }
function wp_die( $message = '', $title = '', $args = array() ) {
	throw new WP_Die( (string) $message, is_int( $title ) ? $title : (int) ( $args['response'] ?? 500 ) );
}
function nocache_headers() {}
function wp_redirect( $location, $status = 302, $x_redirect_by = 'WordPress' ) { throw new WP_Redirect( $location, $status ); }
function wp_safe_redirect( $location, $status = 302, $x_redirect_by = 'WordPress' ) {
	if ( parse_url( $location, PHP_URL_HOST ) !== parse_url( home_url(), PHP_URL_HOST ) ) {
		$location = admin_url();
	}
	throw new WP_Redirect( $location, $status );
}
function check_admin_referer( $action = -1, $query_arg = '_wpnonce' ) {
	if ( ! $GLOBALS['wp']['nonce_ok'] ) {
		wp_die( 'The link you followed has expired.', 403 );
	}
	return 1;
}
function wp_nonce_field( $action = -1, $name = '_wpnonce' ) { echo '<input type="hidden" name="' . esc_attr( $name ) . '" value="nonce-' . esc_attr( $action ) . '">'; }

function add_submenu_page( $parent, $page_title, $menu_title, $capability, $slug, $callback = '' ) {
	$GLOBALS['wp']['menu'][] = compact( 'parent', 'page_title', 'menu_title', 'capability', 'slug', 'callback' );
	return current_user_can( $capability ) ? $parent . '_page_' . $slug : false;
}
function register_setting( $group, $name, $args = array() ) { $GLOBALS['wp']['settings'][ $name ] = $args + array( 'group' => $group ); }
function add_settings_error( $setting, $code, $message, $type = 'error' ) { $GLOBALS['wp']['settings_errors'][] = compact( 'setting', 'code', 'message', 'type' ); }
function settings_errors() {
	foreach ( $GLOBALS['wp']['settings_errors'] as $error ) {
		echo '<div class="notice notice-error"><p>' . esc_html( $error['message'] ) . '</p></div>';
	}
}
function settings_fields( $group ) { echo '<input type="hidden" name="option_page" value="' . esc_attr( $group ) . '"><input type="hidden" name="action" value="update">'; wp_nonce_field( "$group-options" ); }
function submit_button( $text = null, $type = 'primary' ) { echo '<input type="submit" class="button button-' . esc_attr( $type ) . '" value="' . esc_attr( $text ?? 'Save Changes' ) . '">'; }
function wp_add_privacy_policy_content( $plugin_name, $policy_text ) { $GLOBALS['wp']['policy'][ $plugin_name ] = $policy_text; }

function wp_remote_retrieve_response_code( $response ) { return is_array( $response ) ? $response['response']['code'] : ''; }
function wp_remote_retrieve_body( $response ) { return is_array( $response ) ? $response['body'] : ''; }
function wp_remote_post( $url, $args = array() ) {
	$GLOBALS['wp']['requests'][] = array( 'url' => $url, 'args' => $args );
	if ( is_array( $GLOBALS['wp']['http_answers'] ) ) {
		$answer = array_shift( $GLOBALS['wp']['http_answers'] );
		if ( isset( $answer['error'] ) ) {
			return new WP_Error( 'http_request_failed', $answer['error'] );
		}
		return array( 'response' => array( 'code' => $answer['code'] ), 'body' => $answer['body'] );
	}
	$headers = '';
	foreach ( $args['headers'] ?? array() as $name => $value ) {
		$headers .= "$name: $value\r\n";
	}
	$context = stream_context_create( array( 'http' => array(
		'method' => 'POST', 'header' => $headers, 'content' => $args['body'] ?? '', 'ignore_errors' => true,
		'follow_location' => 0, 'timeout' => $args['timeout'] ?? 5,
	) ) );
	$body = @file_get_contents( $url, false, $context );
	if ( false === $body ) {
		return new WP_Error( 'http_request_failed', error_get_last()['message'] ?? 'connection failed' );
	}
	preg_match( '#^HTTP/\S+ (\d{3})#', $http_response_header[0] ?? '', $status );
	return array( 'response' => array( 'code' => (int) ( $status[1] ?? 0 ) ), 'body' => $body );
}

/** $props: id, stock_status (instock | outofstock | onbackorder), manage_stock, backorders (no | notify | yes), stock_quantity. */
class WC_Product {
	public function __construct( private string $type, private array $meta, private array $props = array() ) {}
	public function is_type( $type ) { return $this->type === $type; }
	public function get_meta( $key, $single = true ) { return $this->meta[ $key ] ?? ''; }
	public function get_id() { return $this->props['id'] ?? 0; }
	public function get_stock_status() { return $this->props['stock_status'] ?? 'instock'; }
	public function managing_stock() { return (bool) ( $this->props['manage_stock'] ?? false ); }
	public function backorders_allowed() { return in_array( $this->props['backorders'] ?? 'no', array( 'yes', 'notify' ), true ); }
	public function get_stock_quantity() { return $this->managing_stock() ? ( $this->props['stock_quantity'] ?? null ) : null; }
}
function wc_get_product( $id ) { return $GLOBALS['wp']['products'][ $id ] ?? false; }
/** Order items and orders keep meta as WC_Data does: add_meta_data (unique replaces), update_meta_data, delete_meta_data, get_meta_data. */
class WC_Test_Data {
	public array $meta = array();
	public function add_meta_data( $key, $value, $unique = false ) {
		if ( $unique ) { $this->meta = array_values( array_filter( $this->meta, fn( $m ) => $m->key !== $key ) ); }
		$this->meta[] = (object) array( 'key' => $key, 'value' => $value );
	}
	public function update_meta_data( $key, $value ) { $this->add_meta_data( $key, $value, true ); }
	public function delete_meta_data( $key ) { $this->meta = array_values( array_filter( $this->meta, fn( $m ) => $m->key !== $key ) ); }
	public function get_meta_data() { return $this->meta; }
}
class WC_Order_Item_Product extends WC_Test_Data {}
class WC_Order extends WC_Test_Data {}
class WC_Cart {
	public function __construct( public array $cart_contents = array() ) {}
	public function get_cart() { return $this->cart_contents; }
}
/** WC(): the cart is $GLOBALS['wp']['cart'] (a WC_Cart, or null outside a store page), the session $GLOBALS['wp']['session'] (tests/support/woocommerce_blocks.php). */
function WC() { return (object) array( 'cart' => $GLOBALS['wp']['cart'], 'session' => $GLOBALS['wp']['session'] ?? null ); }
function is_product() { return $GLOBALS['wp']['is_product']; }
class WC_Webhook {
	public function __construct( private array $fields ) {}
	public function get_delivery_url() { return $this->fields['delivery_url']; }
	public function get_secret() { return $this->fields['secret']; }
	public function get_status() { return $this->fields['status']; }
}
class WC_Webhook_Data_Store {
	public function search_webhooks( $args = array() ) {
		$found = array();
		foreach ( $GLOBALS['wp']['webhooks'] as $id => $hook ) {
			if ( ! isset( $args['status'] ) || $hook['status'] === $args['status'] ) {
				$found[] = $id;
			}
		}
		return $found;
	}
}
class WC_Data_Store {
	public static function load( $object_type ) { return new WC_Webhook_Data_Store(); }
}
function wc_get_webhook( $id ) { return isset( $GLOBALS['wp']['webhooks'][ $id ] ) ? new WC_Webhook( $GLOBALS['wp']['webhooks'][ $id ] ) : null; }

/** Load the plugin as WordPress does: the main file, then the hooks an admin request fires. */
function wp_test_load_plugin( string $main ) {
	require $main;
	do_action( 'init' );
	do_action( 'admin_menu' );
	do_action( 'admin_init' );
}
