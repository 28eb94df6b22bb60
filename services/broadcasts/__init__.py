"""HQ broadcasts: notices, price floors and promotions sent to dealers, with acknowledgements."""
