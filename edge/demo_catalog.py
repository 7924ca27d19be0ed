"""The demo store's catalog: a few hundred bilingual items, deterministic so README can cite codes."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from pos.catalog import CATALOG_COLUMNS, gtin13_with_check_digit

BRANDS = (
    ("Golden Field", "金田"),
    ("Blue River", "蓝河"),
    ("Sunrise", "日出"),
    ("Jade Mountain", "玉山"),
    ("Harbor", "港湾"),
)

# (en, zh, category, tax class, base price in fen, sizes)
PACKAGED = (
    ("Cola", "可乐", "drinks", "VAT13", 300, (("330ml", "330毫升"), ("500ml", "500毫升"), ("1.5L", "1.5升"))),
    ("Orange Juice", "橙汁", "drinks", "VAT13", 550, (("300ml", "300毫升"), ("1L", "1升"))),
    ("Green Tea", "绿茶", "drinks", "VAT13", 350, (("500ml", "500毫升"), ("1L", "1升"))),
    ("Mineral Water", "矿泉水", "drinks", "VAT13", 200, (("550ml", "550毫升"), ("1.5L", "1.5升"), ("4L", "4升"))),
    ("Soy Milk", "豆奶", "drinks", "VAT13", 400, (("250ml", "250毫升"), ("1L", "1升"))),
    ("Lager Beer", "啤酒", "drinks", "VAT13", 600, (("330ml", "330毫升"), ("500ml", "500毫升"))),
    ("Oolong Tea", "乌龙茶", "drinks", "VAT13", 450, (("500ml", "500毫升"),)),
    ("Iced Coffee", "冰咖啡", "drinks", "VAT13", 650, (("280ml", "280毫升"),)),
    ("Jasmine Rice", "茉莉香米", "grocery", "VAT9", 3990, (("2.5kg", "2.5公斤"), ("5kg", "5公斤"))),
    ("Wheat Noodles", "挂面", "grocery", "VAT9", 690, (("500g", "500克"), ("1kg", "1公斤"))),
    ("Plain Flour", "面粉", "grocery", "VAT9", 1290, (("1kg", "1公斤"), ("2.5kg", "2.5公斤"))),
    ("Peanut Oil", "花生油", "grocery", "VAT9", 5990, (("1.8L", "1.8升"), ("5L", "5升"))),
    ("Fresh Milk", "鲜牛奶", "dairy", "VAT9", 1290, (("950ml", "950毫升"),)),
    ("Yogurt", "酸奶", "dairy", "VAT13", 890, (("4x100g", "4x100克"),)),
    ("Light Soy Sauce", "生抽", "grocery", "VAT13", 990, (("500ml", "500毫升"), ("1.9L", "1.9升"))),
    ("Rice Vinegar", "米醋", "grocery", "VAT13", 690, (("500ml", "500毫升"),)),
    ("White Sugar", "白砂糖", "grocery", "VAT13", 790, (("500g", "500克"), ("1kg", "1公斤"))),
    ("Iodised Salt", "加碘盐", "grocery", "VAT13", 250, (("400g", "400克"),)),
    ("Instant Noodles", "方便面", "snacks", "VAT13", 450, (("1 pack", "1包"), ("5 pack", "5连包"))),
    ("Cream Crackers", "苏打饼干", "snacks", "VAT13", 890, (("400g", "400克"),)),
    ("Milk Chocolate", "牛奶巧克力", "snacks", "VAT13", 1290, (("100g", "100克"), ("200g", "200克"))),
    ("Potato Chips", "薯片", "snacks", "VAT13", 750, (("70g", "70克"), ("150g", "150克"))),
    ("Canned Tuna", "金枪鱼罐头", "grocery", "VAT13", 1590, (("185g", "185克"),)),
    ("Tofu", "豆腐", "chilled", "VAT9", 390, (("400g", "400克"),)),
    ("Free-range Eggs", "散养鸡蛋", "chilled", "VAT9", 1990, (("10 eggs", "10枚"), ("30 eggs", "30枚"))),
    ("Laundry Detergent", "洗衣液", "household", "VAT13", 3990, (("2kg", "2公斤"), ("3kg", "3公斤"))),
    ("Dish Soap", "洗洁精", "household", "VAT13", 1290, (("1.1kg", "1.1公斤"),)),
    ("Facial Tissues", "抽纸", "household", "VAT13", 1590, (("3 packs", "3包"), ("6 packs", "6包"))),
    ("Toilet Paper", "卫生纸", "household", "VAT13", 2990, (("10 rolls", "10卷"), ("24 rolls", "24卷"))),
    ("Toothpaste", "牙膏", "household", "VAT13", 1190, (("120g", "120克"),)),
    ("Shampoo", "洗发水", "household", "VAT13", 3590, (("400ml", "400毫升"), ("750ml", "750毫升"))),
    ("Trash Bags", "垃圾袋", "household", "VAT13", 990, (("30 bags", "30只"),)),
    ("AA Batteries", "5号电池", "household", "VAT13", 1590, (("4 pack", "4节"), ("8 pack", "8节"))),
)

# Sold by weight: (en, zh, category, tax class, price per kg in fen). PLUs from 10001.
WEIGHED = (
    ("Fuji Apples", "富士苹果", "produce", 1380), ("Bananas", "香蕉", "produce", 698),
    ("Oranges", "橙子", "produce", 998), ("Pears", "梨", "produce", 898),
    ("Red Grapes", "红提", "produce", 1998), ("Watermelon", "西瓜", "produce", 398),
    ("Tomatoes", "西红柿", "produce", 798), ("Potatoes", "土豆", "produce", 398),
    ("Chinese Cabbage", "大白菜", "produce", 298), ("Carrots", "胡萝卜", "produce", 398),
    ("Cucumbers", "黄瓜", "produce", 598), ("Onions", "洋葱", "produce", 398),
    ("Garlic", "大蒜", "produce", 1198), ("Ginger", "生姜", "produce", 1398),
    ("Spinach", "菠菜", "produce", 998), ("Broccoli", "西兰花", "produce", 1198),
    ("Pork Belly", "五花肉", "meat", 3598), ("Pork Loin", "猪里脊", "meat", 3298),
    ("Beef Brisket", "牛腩", "meat", 7998), ("Chicken Thighs", "鸡腿", "meat", 2398),
    ("Chicken Wings", "鸡翅", "meat", 3598), ("Lamb Leg", "羊腿肉", "meat", 8998),
    ("Grass Carp", "草鱼", "seafood", 1998), ("Shrimp", "鲜虾", "seafood", 6998),
    ("Mushrooms", "香菇", "produce", 1598), ("Sweet Potatoes", "红薯", "produce", 498),
    ("Kiwi Fruit", "猕猴桃", "produce", 1598), ("Mangoes", "芒果", "produce", 1398),
    ("Lotus Root", "莲藕", "produce", 898), ("Green Peppers", "青椒", "produce", 698),
)
WEIGHED_TAX = {"produce": "VAT0", "meat": "VAT9", "seafood": "VAT9"}


def _packaged_rows() -> Iterator[dict[str, str]]:
    number = 0
    for b, (brand_en, brand_zh) in enumerate(BRANDS):
        for en, zh, category, tax, base, sizes in PACKAGED:
            for s, (size_en, size_zh) in enumerate(sizes):
                number += 1
                price = base * (2 * s + 2) // 2 + b * 50
                code = gtin13_with_check_digit(f"69{number:010d}")
                yield {
                    "sku": f"P{number:05d}",
                    "name_en": f"{brand_en} {en} {size_en}",
                    "name_zh": f"{brand_zh}{zh} {size_zh}",
                    "unit": "each",
                    "price": str(price),
                    "tax_class": tax,
                    "category": category,
                    "brand": brand_en,
                    "barcodes": code,
                    "active": "true",
                }


def _weighed_rows() -> Iterator[dict[str, str]]:
    for n, (en, zh, category, price) in enumerate(WEIGHED, start=1):
        yield {
            "sku": f"W{n:04d}",
            "name_en": en,
            "name_zh": zh,
            "unit": "kg",
            "price": str(price),
            "tax_class": WEIGHED_TAX[category],
            "category": category,
            "brand": "",
            "barcodes": f"{10000 + n}",
            "active": "true",
        }


def demo_rows() -> list[dict[str, str]]:
    return [*_packaged_rows(), *_weighed_rows()]


def write_demo_catalog(path: Path) -> int:
    rows = demo_rows()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CATALOG_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
