<?php
/**
 * Stand-ins for the part of WooCommerce's Store API and blocks integration the backorder connector plugin
 * uses (includes/storefront-blocks.php, class-blocks-integration.php), written as WooCommerce defines them,
 * required after tests/support/wordpress.php:
 *
 * - RouteException (Automattic\WooCommerce\StoreApi\Exceptions) and IntegrationInterface
 *   (Automattic\WooCommerce\Blocks\Integrations), same names and signatures;
 * - woocommerce_store_api_register_endpoint_data / _register_update_callback, checking their arguments as
 *   ExtendSchema does (a namespace, an extensible endpoint, callables, ARRAY_A or ARRAY_N);
 * - wc_test_endpoint_data / wc_test_endpoint_schema: what ExtendSchema::get_endpoint_data / _schema give a
 *   schema (the callbacks' answers under each namespace; a data callback must return an array);
 * - wc_test_cart_extensions: POST /wc/store/v1/cart/extensions as CartExtensionsSchema and AbstractRoute
 *   run it: the namespace's callback with the request's data, then the cart's extension data (200), or a
 *   RouteException's code, message and status; an unknown namespace is a 400;
 * - WC_Session (get, set) in $GLOBALS['wp']['session'], wp_register_script, and an integration registry.
 */

namespace Automattic\WooCommerce\StoreApi\Exceptions {
	/** The Store API's route exception: an error code, a message and an HTTP status. */
	class RouteException extends \Exception {
		public function __construct( public string $error_code, string $message, int $http_status_code = 500, public array $additional_data = array() ) {
			parent::__construct( $message, $http_status_code );
		}
		public function getErrorCode() { return $this->error_code; }
		public function getAdditionalData() { return $this->additional_data; }
	}
}

namespace Automattic\WooCommerce\Blocks\Integrations {
	/** What a block integration implements (WooCommerce's IntegrationInterface). */
	interface IntegrationInterface {
		public function get_name();
		public function initialize();
		public function get_script_handles();
		public function get_editor_script_handles();
		public function get_script_data();
	}
}

namespace {
	use Automattic\WooCommerce\StoreApi\Exceptions\RouteException;

	if ( ! defined( 'ARRAY_A' ) ) {
		define( 'ARRAY_A', 'ARRAY_A' );
		define( 'ARRAY_N', 'ARRAY_N' );
	}

	$GLOBALS['wp']['store_api']          = array( 'data' => array(), 'callbacks' => array() );
	$GLOBALS['wp']['registered_scripts'] = array();
	/** The customer's session data (WC_Session: set() of null unsets, get() gives the default then). */
	class WC_Session {
		public array $data = array();
		public function get( $key, $default = null ) { return $this->data[ $key ] ?? $default; }
		public function set( $key, $value ) {
			if ( null === $value ) {
				unset( $this->data[ $key ] );
			} else {
				$this->data[ $key ] = $value;
			}
		}
	}

	$GLOBALS['wp']['session'] = new WC_Session();

	function woocommerce_store_api_register_endpoint_data( $args ) {
		$args = array_merge( array( 'endpoint' => '', 'namespace' => '', 'schema_callback' => null, 'data_callback' => null, 'schema_type' => ARRAY_A ), $args );
		if ( ! is_string( $args['namespace'] ) || '' === $args['namespace'] ) {
			throw new Exception( 'You must provide a plugin namespace when extending a Store REST endpoint.' );
		}
		if ( ! in_array( $args['endpoint'], array( 'cart-item', 'cart', 'checkout', 'product' ), true ) ) {
			throw new Exception( 'You must provide a valid Store REST endpoint to extend; you provided ' . $args['endpoint'] );
		}
		foreach ( array( 'schema_callback', 'data_callback' ) as $callback ) {
			if ( null !== $args[ $callback ] && ! is_callable( $args[ $callback ] ) ) {
				throw new Exception( "\$$callback must be a callable function." );
			}
		}
		if ( ! in_array( $args['schema_type'], array( ARRAY_A, ARRAY_N ), true ) ) {
			throw new Exception( 'Data type must be either ARRAY_N or ARRAY_A.' );
		}
		$GLOBALS['wp']['store_api']['data'][ $args['endpoint'] ][ $args['namespace'] ] = $args;
		return true;
	}

	function woocommerce_store_api_register_update_callback( $args ) {
		if ( ! is_string( $args['namespace'] ?? null ) || '' === $args['namespace'] ) {
			throw new Exception( 'You must provide a plugin namespace when extending a Store REST endpoint.' );
		}
		if ( ! is_callable( $args['callback'] ?? null ) ) {
			throw new Exception( 'There is no valid callback supplied to register_update_callback.' );
		}
		$GLOBALS['wp']['store_api']['callbacks'][ $args['namespace'] ] = $args['callback'];
		return true;
	}

	/** ExtendSchema::get_endpoint_data: each namespace's data for $endpoint (the cart item for cart-item). */
	function wc_test_endpoint_data( string $endpoint, ...$passed ) {
		$out = array();
		foreach ( $GLOBALS['wp']['store_api']['data'][ $endpoint ] ?? array() as $namespace => $args ) {
			if ( null === $args['data_callback'] ) {
				continue;
			}
			$data = $args['data_callback']( ...$passed );
			if ( ! is_array( $data ) ) {
				throw new Exception( '$data_callback must return an array.' );
			}
			$out[ $namespace ] = $data;
		}
		return $out;
	}

	/** ExtendSchema::get_endpoint_schema: each namespace's schema properties for $endpoint. */
	function wc_test_endpoint_schema( string $endpoint ) {
		$out = array();
		foreach ( $GLOBALS['wp']['store_api']['data'][ $endpoint ] ?? array() as $namespace => $args ) {
			if ( null !== $args['schema_callback'] ) {
				$out[ $namespace ] = array( 'type' => array( 'object', 'null' ), 'properties' => $args['schema_callback']() );
			}
		}
		return $out;
	}

	/**
	 * POST /wc/store/v1/cart/extensions with {namespace, data}: array( status, body ), body being the cart's
	 * and its items' extension data on success, the error (code, message, data.status) otherwise.
	 */
	function wc_test_cart_extensions( $namespace, $data ) {
		try {
			$callback = $GLOBALS['wp']['store_api']['callbacks'][ $namespace ] ?? null;
			if ( ! is_string( $namespace ) || null === $callback ) {
				throw new RouteException( 'woocommerce_rest_cart_extensions_error', esc_html( sprintf( 'There is no such namespace registered: %1$s.', (string) $namespace ) ), 400 );
			}
			$callback( $data );
			$items = array();
			foreach ( ( WC()->cart ? WC()->cart->get_cart() : array() ) as $key => $cart_item ) {
				$items[] = array( 'key' => $key, 'extensions' => wc_test_endpoint_data( 'cart-item', $cart_item ) );
			}
			return array( 'status' => 200, 'body' => array( 'items' => $items, 'extensions' => wc_test_endpoint_data( 'cart' ) ) );
		} catch ( RouteException $error ) {
			return array( 'status' => $error->getCode(), 'body' => array( 'code' => $error->getErrorCode(), 'message' => $error->getMessage(), 'data' => array( 'status' => $error->getCode() ) ) );
		}
	}

	function wp_register_script( $handle, $src, $deps = array(), $ver = false, $args = array() ) {
		$GLOBALS['wp']['registered_scripts'][ $handle ] = compact( 'src', 'deps', 'ver', 'args' );
		return true;
	}

	/** A block's IntegrationRegistry: one integration a name; initialize() runs each one's initialize(). */
	class WC_Test_Integration_Registry {
		public array $integrations = array();
		public function register( $integration ) {
			$name = $integration->get_name();
			if ( isset( $this->integrations[ $name ] ) ) {
				return false;
			}
			$this->integrations[ $name ] = $integration;
			return true;
		}
		public function initialize() {
			foreach ( $this->integrations as $integration ) {
				$integration->initialize();
			}
		}
	}
}
