"""Every write of the counter: sales (checkout), refunds, held carts, shifts."""
