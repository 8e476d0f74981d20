"""Word lists of the RE tagger (:mod:`mmsegsup.analysis.tagger`): plain data, easy to extend.

Entries are lowercase lemmas (verbs in the base form: "hold" matches "holding", "held",
"holds"); an entry with spaces is a phrase matched on consecutive words ("next to"). Each list
name is also a key of ``Tagger(extra=...)`` and of a lexicon file; a category name
("appearance", "class_category", ...) stands for its main list, :data:`CATEGORY_LEXICON`.
Which list triggers which category, and when, is documented in the tagger module.
"""
from typing import Dict, Tuple

COLOURS = (
    'red', 'green', 'blue', 'yellow', 'black', 'white', 'brown', 'grey', 'gray', 'orange',
    'pink', 'purple', 'violet', 'beige', 'golden', 'gold', 'silver', 'dark', 'light', 'blond',
    'blonde', 'ginger', 'tan', 'navy', 'maroon', 'turquoise', 'cyan', 'colourful', 'colorful',
    'striped', 'spotted', 'checkered', 'plaid', 'dotted', 'shiny', 'bright', 'pale', 'reddish',
    'greenish', 'bluish', 'whitish', 'blackish', 'brownish', 'dark-haired', 'black-and-white')
CLOTHING = (
    'shirt', 't-shirt', 'tshirt', 'tee', 'jacket', 'coat', 'dress', 'skirt', 'pants',
    'trousers', 'jeans', 'shorts', 'hat', 'cap', 'helmet', 'shoe', 'boot', 'sneaker', 'sandal',
    'suit', 'sweater', 'jumper', 'hoodie', 'uniform', 'jersey', 'blouse', 'scarf',
    'glasses', 'sunglasses', 'goggles', 'vest', 'costume', 'clothes', 'clothing', 'outfit',
    'glove', 'mitten', 'tie', 'bikini', 'swimsuit', 'wetsuit', 'apron', 'sock', 'belt',
    'backpack', 'collar', 'leash', 'harness', 'saddle', 'mask', 'hood', 'overall', 'diaper',
    'onesie', 'pajamas', 'robe', 'gown', 'tuxedo', 'cape', 'bandana', 'beanie', 'sleeve',
    'long-sleeved', 'short-sleeved', 'sleeveless')
APPEARANCE_WORDS = (  # size, shape, age, body features, texture: how the referent looks
    'big', 'large', 'small', 'little', 'tiny', 'huge', 'giant', 'tall', 'short', 'long',
    'fat', 'thin', 'skinny', 'slim', 'chubby', 'fluffy', 'furry', 'hairy', 'bald', 'hair',
    'haired', 'beard', 'bearded', 'mustache', 'moustache', 'curly', 'ponytail', 'braid',
    'old', 'young', 'elderly', 'wrinkled', 'round', 'square-shaped', 'wooden', 'metal',
    'plastic', 'wet', 'dirty', 'muddy', 'tattoo', 'tattooed', 'fur', 'feather', 'spot',
    'stripe', 'wing', 'tail', 'mane', 'horn', 'ear', 'eye', 'face', 'skin', 'coloured',
    'colored', 'pattern', 'patterned', 'logo', 'number', 'biggest', 'largest', 'smallest',
    'tallest', 'shortest', 'bigger', 'smaller', 'taller', 'shorter')
CLASS_NOUNS = (  # names of referents: A2D actors and synonyms, COCO, DAVIS, shapes
    # people (A2D "adult" and "baby")
    'adult', 'person', 'people', 'man', 'woman', 'guy', 'lady', 'gentleman', 'boy', 'girl',
    'kid', 'child', 'baby', 'toddler', 'infant', 'teenager', 'teen', 'player', 'rider',
    'skier', 'surfer', 'skater', 'skateboarder', 'snowboarder', 'dancer', 'biker', 'cyclist',
    'driver', 'runner', 'swimmer', 'athlete', 'climber', 'jockey', 'soldier', 'policeman',
    'officer', 'worker', 'mother', 'father', 'mom', 'dad', 'daughter', 'son', 'brother',
    'sister', 'grandmother', 'grandfather', 'student', 'crowd', 'human', 'pedestrian',
    'goalkeeper', 'referee', 'performer', 'singer', 'musician', 'tennis player',
    # animals
    'animal', 'dog', 'puppy', 'cat', 'kitten', 'kitty', 'bird', 'parrot', 'duck', 'goose',
    'swan', 'chicken', 'hen', 'rooster', 'seagull', 'gull', 'pigeon', 'eagle', 'owl',
    'penguin', 'flamingo', 'horse', 'pony', 'foal', 'sheep', 'lamb', 'cow', 'calf', 'bull',
    'goat', 'pig', 'elephant', 'bear', 'zebra', 'giraffe', 'lion', 'tiger', 'monkey',
    'gorilla', 'camel', 'deer', 'rabbit', 'bunny', 'mouse', 'rat', 'squirrel', 'fish',
    'shark', 'dolphin', 'turtle', 'snake', 'lizard', 'frog', 'kangaroo', 'fox', 'wolf',
    'dinosaur', 'butterfly',
    # vehicles
    'car', 'truck', 'bus', 'van', 'jeep', 'taxi', 'motorbike', 'motorcycle', 'bike',
    'bicycle', 'scooter', 'train', 'tram', 'boat', 'ship', 'kayak', 'canoe', 'airplane',
    'plane', 'aeroplane', 'helicopter', 'tractor', 'vehicle', 'skateboard', 'surfboard',
    'snowboard', 'ski', 'sled', 'stroller', 'cart', 'wagon', 'trailer', 'drone',
    # objects
    'ball', 'football', 'basketball', 'frisbee', 'kite', 'toy', 'teddy bear', 'doll',
    'racket', 'bat', 'umbrella', 'bag', 'handbag', 'suitcase', 'box', 'bottle', 'cup',
    'glass', 'bowl', 'chair', 'sofa', 'couch', 'bench', 'table', 'bed', 'laptop', 'phone',
    'book', 'clock', 'vase', 'lamp', 'tv', 'television', 'screen', 'camera', 'guitar',
    'drum', 'piano', 'microphone', 'stick', 'rope', 'tree', 'plant', 'flower', 'food',
    'sandwich', 'pizza', 'cake', 'banana', 'apple', 'orange', 'carrot', 'donut', 'hot dog',
    'broccoli', 'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'sign',
    'pole', 'door', 'window', 'fence', 'wall', 'house', 'building', 'tent', 'balloon',
    'puck', 'board', 'cone',
    # synthetic shapes ("one", "shape", "object" name no class there, so they are left out)
    'circle', 'disc', 'square', 'triangle')
LOCATION_WORDS = (  # where the referent is, wherever the word stands
    'left', 'right', 'top', 'bottom', 'front', 'middle', 'center', 'centre', 'central',
    'nearest', 'nearer', 'closest', 'closer', 'corner', 'side', 'edge', 'foreground',
    'background', 'leftmost', 'rightmost', 'topmost', 'bottommost', 'uppermost', 'lowest',
    'highest', 'upper', 'lower', 'far', 'farthest', 'furthest', 'farther', 'nearby',
    'distance')
LOCATION_PREPOSITIONS = (  # location words that also open a reference-object phrase
    'near', 'behind', 'beside', 'besides', 'between', 'among', 'amongst', 'above', 'below',
    'under', 'underneath', 'beneath', 'next to', 'close to', 'in front of', 'on top of',
    'outside', 'inside', 'opposite', 'away from', 'far from', 'in between', 'surrounded by',
    'in the back', 'at the back', 'in the distance', 'on the side', 'left of', 'right of',
    'to the left', 'to the right')
SPATIAL_PREPOSITIONS = (  # location when followed by a noun phrase that does not describe looks
    'on', 'in', 'at', 'upon', 'atop', 'against', 'within')
MOTION_VERBS = (  # the referent moves or changes its location
    'run', 'jump', 'crawl', 'climb', 'swim', 'go', 'come', 'dance', 'skate', 'surf', 'cycle',
    'jog', 'hop', 'chase', 'follow', 'fall', 'spin', 'turn', 'bounce', 'slide', 'dive',
    'wander', 'trot', 'gallop', 'leave', 'enter', 'cross', 'approach', 'glide', 'drift',
    'flap', 'rush', 'hurry', 'march', 'stroll', 'sprint', 'leap', 'flee', 'escape',
    'take off', 'skid', 'accelerate', 'overtake', 'tumble', 'somersault', 'flip', 'splash',
    'skateboard', 'snowboard', 'ski', 'wiggle', 'sway', 'shake', 'wag', 'pass',
    'travel', 'fight', 'wrestle')
OBJ_MOTION_VERBS = (  # the referent moves another object (motion always; obj-motion with one)
    'walk', 'fly', 'roll', 'drive', 'ride', 'carry', 'push', 'pull', 'drag', 'kick', 'throw',
    'toss', 'lift', 'dribble', 'tow', 'move', 'bring', 'pick up', 'catch', 'hit', 'swing',
    'lead', 'haul', 'shove', 'steer', 'juggle', 'fetch', 'deliver', 'transport', 'drop',
    'put', 'bounce')
STATIC_VERBS = (  # what the referent does without moving
    'sit', 'stand', 'lie', 'rest', 'sleep', 'eat', 'drink', 'hold', 'watch', 'look',
    'stare', 'wait', 'stay', 'park', 'stop', 'pose', 'perch', 'lean', 'kneel', 'crouch',
    'squat', 'read', 'talk', 'smile', 'laugh', 'sing', 'listen', 'bark', 'sniff', 'chew',
    'bite', 'lick', 'smoke', 'hide', 'hang', 'remain', 'relax', 'sunbathe', 'graze', 'pet',
    'hug', 'touch', 'feed', 'cry', 'yawn', 'observe', 'speak', 'idle', 'sit down',
    'lie down', 'stand still')
OBJ_STATIC_VERBS = (  # the referent acts on another object without moving (static always)
    'hold', 'eat', 'drink', 'touch', 'hug', 'pet', 'feed', 'bite', 'lick', 'chew', 'grab',
    'grip', 'read', 'use', 'cut', 'kiss', 'wash', 'fix', 'repair', 'cuddle', 'embrace',
    'stroke', 'squeeze', 'hold onto', 'hold up')
APPEARANCE_VERBS = ('wear', 'dress', 'clothe')
PARTICLE_VERBS = (  # verb + preposition that introduce no location ("looking at the camera")
    'look', 'stare', 'glance', 'smile', 'bark', 'point', 'wave', 'laugh', 'shout', 'yell',
    'aim', 'talk', 'listen', 'speak', 'play', 'fight', 'reach', 'wait', 'dress', 'clothe',
    'wear', 'cover', 'fill', 'interested', 'believe')
DETERMINERS = (
    'a', 'an', 'the', 'this', 'that', 'these', 'those', 'his', 'her', 'its', 'their', 'my',
    'your', 'our', 'some', 'another', 'other', 'two', 'three', 'both', 'each', 'every', 'any')
BOUNDARY_WORDS = (  # end a noun phrase: copula, relative pronouns, conjunctions, prepositions
    'is', 'are', 'was', 'were', 'be', 'been', 'being', 'who', 'which', 'that', 'whose',
    'while', 'when', 'where', 'but', 'as', 'than', 'to', 'from', 'for', 'with', 'without',
    'into', 'onto', 'towards', 'toward', 'across', 'along', 'through', 'around', 'over',
    'off', 'out', 'up', 'down', 'after', 'before', 'like', 'by', 'about', 'has', 'have',
    'of', 'and', 'or', 'can', 'will')
ADVERBS = (  # words after a verb that are not its object
    'up', 'down', 'away', 'around', 'back', 'still', 'together', 'fast', 'slowly', 'quickly',
    'alone', 'forward', 'backward', 'backwards', 'there', 'here', 'again', 'very', 'too',
    'then', 'now', 'also', 'high', 'low', 'straight', 'slightly', 'happily', 'calmly',
    'around', 'about', 'sideways', 'upwards', 'downwards', 'home', 'outside', 'inside')
COPULAS = ('is', 'are', 'was', 'were', 'be', 'being', 'been', 'looks', 'seems')
IRREGULAR = {  # inflected form -> lemma, for what the suffix rules cannot undo
    'men': 'man', 'women': 'woman', 'children': 'child', 'feet': 'foot', 'teeth': 'tooth',
    'mice': 'mouse', 'geese': 'goose', 'held': 'hold', 'ran': 'run', 'sat': 'sit',
    'stood': 'stand', 'lay': 'lie', 'lain': 'lie', 'lying': 'lie', 'flew': 'fly',
    'flown': 'fly', 'ate': 'eat', 'eaten': 'eat', 'drove': 'drive', 'driven': 'drive',
    'rode': 'ride', 'ridden': 'ride', 'threw': 'throw', 'thrown': 'throw', 'caught': 'catch',
    'fell': 'fall', 'fallen': 'fall', 'swam': 'swim', 'wore': 'wear', 'worn': 'wear',
    'went': 'go', 'gone': 'go', 'came': 'come', 'led': 'lead', 'brought': 'bring',
    'drank': 'drink', 'drunk': 'drink', 'bitten': 'bite', 'hung': 'hang', 'dressed': 'dress',
    'leaves': 'leave', 'fought': 'fight', 'slid': 'slide', 'dove': 'dive', 'spun': 'spin',
    'dying': 'die', 'tying': 'tie', 'sped': 'speed', 'leapt': 'leap', 'fled': 'flee',
    'kneeling': 'kneel', 'knelt': 'kneel', 'slept': 'sleep', 'bus': 'bus', 'glass': 'glass',
    'grass': 'grass', 'dress': 'dress'}

LEXICONS: Dict[str, Tuple[str, ...]] = {
    'colours': COLOURS, 'clothing': CLOTHING, 'appearance_words': APPEARANCE_WORDS,
    'appearance_verbs': APPEARANCE_VERBS, 'class_nouns': CLASS_NOUNS,
    'location_words': LOCATION_WORDS, 'location_prepositions': LOCATION_PREPOSITIONS,
    'spatial_prepositions': SPATIAL_PREPOSITIONS,
    'motion_verbs': MOTION_VERBS, 'obj_motion_verbs': OBJ_MOTION_VERBS,
    'static_verbs': STATIC_VERBS, 'obj_static_verbs': OBJ_STATIC_VERBS,
    'particle_verbs': PARTICLE_VERBS, 'determiners': DETERMINERS,
    'boundary_words': BOUNDARY_WORDS, 'adverbs': ADVERBS, 'copulas': COPULAS}
CATEGORY_LEXICON = {  # the list a category name extends in Tagger(extra=...)
    'appearance': 'appearance_words', 'class_category': 'class_nouns',
    'location': 'location_words', 'motion': 'motion_verbs', 'obj_motion': 'obj_motion_verbs',
    'static': 'static_verbs', 'obj_static': 'obj_static_verbs'}
