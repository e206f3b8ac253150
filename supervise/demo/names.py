"""People for the demo: names, posts, mobile numbers and resident ID numbers,
each made with the generator's seeded random number generator."""

from __future__ import annotations

import datetime as dt
import logging
import random

logger = logging.getLogger(__name__)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
GIVEN_NAMES = (
    "建国",
    "建华",
    "志强",
    "志明",
    "海燕",
    "秀英",
    "秀兰",
    "桂英",
    "玉兰",
    "春梅",
    "丽华",
    "晓东",
    "晓红",
    "晓燕",
    "立新",
    "永刚",
    "文静",
    "国强",
    "爱民",
    "淑珍",
    "凤英",
    "德胜",
    "学军",
    "少华",
    "宏伟",
    "雅琴",
    "巧云",
    "振华",
    "红梅",
    "卫东",
    "金凤",
    "明辉",
    "俊杰",
    "子涵",
    "欣怡",
    "梓轩",
    "雨萱",
    "晨阳",
    "博文",
    "嘉怡",
    "思远",
    "佳琪",
    "一鸣",
    "浩然",
    "宇航",
    "诗涵",
    "梦琪",
    "子豪",
    "雨桐",
    "家豪",
    "婉婷",
    "文博",
    "昊天",
    "凯文",
    "鹏飞",
    "宏亮",
    "海涛",
    "建军",
    "丽娟",
    "玉梅",
    "桂兰",
    "翠花",
    "慧敏",
    "静怡",
    "天佑",
    "思雨",
    "晓峰",
    "志刚",
    "伟民",
    "美玲",
    "红霞",
    "春燕",
    "小龙",
    "国庆",
    "新民",
    "素芬",
    "月华",
    "光明",
)
GIVEN_SINGLE = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚华萍红玲芬鑫宇婷慧颖琳瑶悦彤倩宁斌浩"

POSTS_WINDOW = ["窗口受理员"] * 6 + ["审批员"] * 2 + ["帮办代办员", "导服人员", "窗口负责人"]
POSTS_OFFICE = ["科员"] * 3 + ["审批员"] * 2 + ["科长", "副科长", "主任科员", "办公室主任"]
POSTS_STREET = ["综合受理员"] * 3 + ["社区专干"] * 2 + ["便民服务中心主任"]

PHONE_PREFIXES = (
    "130",
    "131",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "158",
    "159",
    "166",
    "177",
    "180",
    "186",
    "187",
    "188",
    "189",
    "199",
)
ID_REGIONS = (
    "110101",
    "110102",
    "120103",
    "130102",
    "310104",
    "320102",
    "330106",
    "370102",
    "410105",
    "420106",
    "440104",
    "500103",
    "510104",
)

# -- values made from the lists ---------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def person(rng: random.Random) -> str:
    """A Chinese name: a surname and a one- or two-character given name."""
    given = rng.choice(GIVEN_SINGLE if rng.random() < 0.25 else GIVEN_NAMES)
    return rng.choice(SURNAMES) + given


def phone(rng: random.Random) -> str:
    """An 11-digit mobile number."""
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def id_number(rng: random.Random) -> str:
    """An 18-character resident ID number with a valid GB 11643 check character."""
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(52 * 365))
    body = f"{rng.choice(ID_REGIONS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    return body + check
