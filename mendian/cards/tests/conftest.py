import pytest

from mendian.members.testing import make_member
from mendian.pos.testing import make_product


@pytest.fixture
def shop(world):
    """Merchant A with two services and a retail item, and a member."""
    world.cut = make_product(world, name="洗剪吹", kind="service", price_fen=8800, member_price_fen=6800)
    world.care = make_product(world, name="头皮护理", kind="service", price_fen=19800)
    world.goods = make_product(world, name="洗发水", price_fen=10000)
    world.member = make_member(world)
    return world
